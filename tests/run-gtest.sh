#!/bin/sh
# Runs a GTest program with TAP output, for automake's tap-driver.
exec "$@" --tap
