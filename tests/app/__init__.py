"""Tests of bot/app: the command line, the playground and its examples."""
