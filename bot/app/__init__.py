"""Entry points and wiring: the command line, the web app, serving, the playground,
settings and the runtime."""
