"""Dependency providers specific to the measures service."""

from nameko.extensions import DependencyProvider

from .watch import rules_from_config


class DeadlineRulesProvider(DependencyProvider):
    """The deadline watch's thresholds, read and checked once at start."""

    def setup(self):
        self.rules = rules_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.rules
