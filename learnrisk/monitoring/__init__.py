"""Monitoring the live lists: how the published weekly lists did once outcomes are known."""

from ._monitor import MonitorResult, log_monitoring, monitor, published_lists, wilson_interval, write_monitor

__all__ = ["MonitorResult", "log_monitoring", "monitor", "published_lists", "wilson_interval", "write_monitor"]
