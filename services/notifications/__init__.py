"""The notifications service: the right people hear of every change to a measure, exactly once,
by e-mail, in their department's inbox or by webhook, at once or in a daily digest."""
