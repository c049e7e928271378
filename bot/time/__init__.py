"""Time: the injectable clock, business calendars and holidays, reading `<when>`."""
