"""Argon2id with the parameters this product commits to (README "Contraseñas")."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class EcuapassArgon2Hasher(Argon2PasswordHasher):
    """Argon2id, m=46 MiB, t=2, p=1: above OWASP's minimum (19 MiB, t=2, p=1).

    Measured at about 150 ms per hash on one core of the 2-core reference
    machine. Hashes made with other parameters are upgraded on next login.
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 47104  # KiB
    parallelism = 1
