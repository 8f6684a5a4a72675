"""The operations console (运营控制台): a web application for operators, auditors and the clearing desk."""
