"""Settings of the load benchmark's server: the project's, plus the floor views of bench/bare.py."""

from suizhou_credit.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare"
