"""The platform's services: measures, notifications, reporting; and their common plumbing."""
