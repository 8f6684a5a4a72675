"""Simulated hospitals and pharmacies: a seeded population, a realistic stream of visits, a driver.

`python -m libs.hospital.simulator` runs it against the platform (see `__main__`); the benchmark
(tests/bench) uses the same pieces at higher rates.
"""
