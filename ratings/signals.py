"""Signals of the ratings app, so apps above it (reporting) can follow runs without ratings importing them."""

import django.dispatch

run_succeeded = django.dispatch.Signal()  # kwargs: run (a RatingRun that has just succeeded)
