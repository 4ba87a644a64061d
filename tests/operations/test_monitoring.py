"""deploy/ (Prometheus, Grafana), docker-compose.yml and docs/operations.md agree with the app's counters."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from bot.app import METRICS_KEY, create_app
from bot.settings import ROOT, Settings

DASHBOARD = ROOT / "deploy/grafana/dashboards/soudan.json"
PROMETHEUS = ROOT / "deploy/prometheus/prometheus.yml"
DATASOURCE = ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml"
DOCS = ROOT / "docs/operations.md"


def served_metric_names() -> set[str]:
    """Every sample name the app's /metrics can carry (counter families plus ``_total``)."""
    app = create_app(Settings(_env_file=None, SOUDAN_STORE="memory://", SOUDAN_METRICS=True, SOUDAN_SIMULATOR=False))
    names: set[str] = set()
    for fam in app[METRICS_KEY].registry.collect():
        names.add(fam.name)
        names.update({f"{fam.name}_total", f"{fam.name}_bucket", f"{fam.name}_count", f"{fam.name}_sum"})
    return names


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def test_every_dashboard_query_names_a_metric_the_app_serves() -> None:
    served = served_metric_names()
    panels = dashboard()["panels"]
    assert len(panels) >= 9
    used: set[str] = set()
    for p in panels:
        assert p["targets"], p["title"]
        for t in p["targets"]:
            names = set(re.findall(r"\bsoudan_[a-z_]+", t["expr"]))
            assert names, (p["title"], t["expr"])
            assert names <= served, (p["title"], names - served)
            used |= names
    for counter in ("soudan_consultations_started_total", "soudan_consultations_finished_total",
                    "soudan_results_total", "soudan_windows_shown_total",
                    "soudan_results_without_local_window_total", "soudan_crisis_replies_total",
                    "soudan_handoffs_total", "soudan_dropoffs_total"):
        assert counter in used, counter


def test_the_dashboard_uses_the_provisioned_prometheus_and_japan_time() -> None:
    ds = yaml.safe_load(DATASOURCE.read_text(encoding="utf-8"))["datasources"][0]
    d = dashboard()
    assert d["timezone"] == "Asia/Tokyo"
    assert {p["datasource"]["uid"] for p in d["panels"]} == {ds["uid"]}
    assert ds["url"] == "http://prometheus:9090"


def test_prometheus_scrapes_every_soudan_service_of_the_compose_file() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    ours = {n for n, s in services.items() if s.get("build") or str(s.get("image", "")).startswith("soudan")}
    conf = yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))
    [job] = conf["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    targets = {t for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {f"{n}:8080" for n in ours}
    for n in ours:
        env = services[n].get("environment", {})
        assert str(env.get("SOUDAN_METRICS")).lower() == "true", n
    mounts = {v.split(":")[0] for v in services["prometheus"]["volumes"]}
    assert "./deploy/prometheus/prometheus.yml" in mounts
    gmounts = {v.split(":")[0] for v in services["grafana"]["volumes"]}
    assert {"./deploy/grafana/provisioning", "./deploy/grafana/dashboards"} <= gmounts
    assert services["grafana"]["ports"] == ["127.0.0.1:3000:3000"]


def test_operations_doc_explains_every_panel_in_japanese_and_english() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    for p in dashboard()["panels"]:
        ja, en = (part.strip() for part in p["title"].split("/", 1))
        assert ja in doc and en in doc, p["title"]
    for name in re.findall(r"soudan_[a-z_]+_total", json.dumps(dashboard())):
        assert name in doc, name
