"""One retry helper (libs/retry.py: tenacity, jittered) and no hand-written retry loops (issue #18): no loop of
the platform's code sleeps in an `except` block, or counts attempts by hand, to try again."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def platform_sources() -> list[Path]:
    return [path for folder in ("libs", "services", "deploy") for path in (ROOT / folder).rglob("*.py")
            if "tests" not in path.relative_to(ROOT).parts and "lib" not in path.relative_to(ROOT / folder).parts[:1]]


def sleeps(node: ast.AST) -> bool:
    return any(isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "sleep"
               for call in ast.walk(node))


def hand_written_retries(tree: ast.AST) -> list[int]:
    """Lines of loops that wait in an exception handler, or of `for attempt in range(...)` loops that sleep."""
    found = []
    for loop in ast.walk(tree):
        if not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
            continue
        handlers = [h for node in ast.walk(loop) if isinstance(node, ast.Try) for h in node.handlers]
        counted = (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and "attempt" in loop.target.id)
        if any(sleeps(h) for h in handlers) or (counted and sleeps(loop)):
            found.append(loop.lineno)
    return found


def test_the_platforms_code_has_no_hand_written_retry_loop() -> None:
    found = {str(path.relative_to(ROOT)): lines for path in platform_sources()
             if (lines := hand_written_retries(ast.parse(path.read_text())))}
    assert not found, f"retry with libs.retry.retry_transient instead: {found}"


def test_the_check_finds_the_loops_it_replaced() -> None:
    reader = """
async def read(consumer):
    while True:
        try:
            batches = await consumer.getmany()
        except KafkaError:
            await asyncio.sleep(1.0)
            continue
"""
    starting = """
async def wait_for_gateway():
    for attempt in range(120):
        if await answers():
            break
        await asyncio.sleep(1.0)
"""
    periodic = """
async def watch():
    while True:
        try:
            await measure()
        except Exception:
            log.warning("not_measured")
        await asyncio.sleep(5)
"""
    assert hand_written_retries(ast.parse(reader)) == [3]
    assert hand_written_retries(ast.parse(starting)) == [3]
    assert hand_written_retries(ast.parse(periodic)) == []  # a periodic task is no retry loop
