"""A nameko timer whose interval comes from the configuration."""

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """Fires every ``config[key]`` seconds (``default`` if unset); with ``eager``, also at start,
    so that work missed while the service was down is caught up at once."""

    def __init__(self, key, default, eager=True, **kwargs):
        super().__init__(interval=default, eager=eager, **kwargs)
        self.key = key
        self.default = default

    def setup(self):
        self.interval = float(self.container.config.get(self.key, self.default))
        super().setup()


every_configured = ConfiguredTimer.decorator
