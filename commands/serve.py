"""`dwt serve`: the deployments of prefect.yaml, served from this one machine (no work pool).

prefect.yaml is the single source of names, schedules, parameters and triggers: this module
reads it and hands each deployment to `flow.to_deployment(...)`, then `prefect.serve(...)`
runs the yearly ingest and the report it triggers as subprocesses of this command. The
production path (`prefect deploy --all` + a worker) reads the same file; see
docs/SCHEDULING.md.

A real Prefect server is required (PREFECT_API_URL): only `prefect server start` runs the
scheduler that creates the yearly runs, so an ephemeral in-process API would serve nothing.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from dwt.config import ConfigError

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

PREFECT_FILE = "prefect.yaml"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DeploymentSpec:
    """One entry of prefect.yaml's `deployments:` (after YAML anchors are resolved)."""

    name: str
    entrypoint: str
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    concurrency_limit: int | None = None

    @property
    def module(self) -> str:
        """`flows/ingest.py:ingest` -> `flows.ingest` (flows/ is an installed package)."""
        path = self.entrypoint.split(":", 1)[0]
        return path.removesuffix(".py").replace("/", ".")

    @property
    def function(self) -> str:
        return self.entrypoint.split(":", 1)[1]


def find_prefect_file(explicit: str | None = None) -> Path:
    """--prefect-file, else ./prefect.yaml, else the one in the project checkout."""
    candidates = [Path(explicit)] if explicit else [Path(PREFECT_FILE), PROJECT_ROOT / PREFECT_FILE]
    for path in candidates:
        if path.is_file():
            return path
    raise ConfigError(f"no prefect.yaml found (looked at {', '.join(map(str, candidates))})")


def _spec(entry: dict[str, Any]) -> DeploymentSpec:
    for required in ("name", "entrypoint"):
        if not entry.get(required):
            raise ConfigError(f"prefect.yaml: a deployment has no {required!r}")
    if ":" not in entry["entrypoint"]:
        raise ConfigError(f"prefect.yaml: entrypoint {entry['entrypoint']!r} is not file.py:flow")
    return DeploymentSpec(
        name=entry["name"],
        entrypoint=entry["entrypoint"],
        parameters=dict(entry.get("parameters") or {}),
        schedules=list(entry.get("schedules") or []),
        triggers=list(entry.get("triggers") or []),
        tags=list(entry.get("tags") or []),
        description=entry.get("description"),
        concurrency_limit=entry.get("concurrency_limit"),
    )


def load_specs(prefect_file: Path) -> list[DeploymentSpec]:
    """The deployments of a prefect.yaml (safe_load resolves the `definitions:` anchors)."""
    try:
        document = yaml.safe_load(Path(prefect_file).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {prefect_file}: {exc}") from exc
    entries = (document or {}).get("deployments") or []
    if not entries:
        raise ConfigError(f"{prefect_file} defines no deployments")
    return [_spec(entry) for entry in entries]


def with_data_dir(spec: DeploymentSpec, data_dir: str | None) -> DeploymentSpec:
    """`dwt serve --data-dir X` pins the lake of every deployment that takes a data_dir."""
    if data_dir is None or "data_dir" not in spec.parameters:
        return spec
    parameters = {**spec.parameters, "data_dir": str(Path(data_dir).resolve())}
    return replace(spec, parameters=parameters)


def describe(spec: DeploymentSpec, flow_name: str) -> str:
    """One human line per deployment: what runs, when, with which parameters."""
    when = [f"cron '{s['cron']}' ({s.get('timezone') or 'UTC'})" for s in spec.schedules]
    for trigger in spec.triggers:
        related = trigger.get("match_related") or []
        related = related if isinstance(related, list) else [related]
        flows = [
            r["prefect.resource.name"] for r in related if r.get("prefect.resource.role") == "flow"
        ]
        events = ", ".join(trigger.get("expect") or [])
        when.append(f"on {events} of {'/'.join(flows) or 'any flow'}")
    params = ", ".join(f"{k}={v!r}" for k, v in spec.parameters.items()) or "defaults"
    return (
        f"{flow_name}/{spec.name}  [{spec.entrypoint}]  {'; '.join(when) or 'manual'}  ({params})"
    )


def _schedules(spec: DeploymentSpec) -> list[Any]:
    from prefect.schedules import Cron

    out = []
    for item in spec.schedules:
        if "cron" not in item:
            raise ConfigError(f"deployment {spec.name!r}: only cron schedules are served")
        out.append(
            Cron(item["cron"], timezone=item.get("timezone"), active=item.get("active", True))
        )
    return out


def _triggers(spec: DeploymentSpec) -> list[Any]:
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger

    return [DeploymentEventTrigger.model_validate(t) for t in spec.triggers]


def to_runner_deployment(spec: DeploymentSpec) -> RunnerDeployment:
    """The served deployment: flow imported by module so runs do not depend on the cwd."""
    import importlib

    from prefect.deployments.runner import EntrypointType

    try:
        flow = getattr(importlib.import_module(spec.module), spec.function)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"deployment {spec.name!r}: cannot load {spec.entrypoint}: {exc}"
        ) from exc
    return flow.to_deployment(
        name=spec.name,
        schedules=_schedules(spec),
        parameters=spec.parameters,
        triggers=_triggers(spec),
        tags=spec.tags,
        description=spec.description,
        concurrency_limit=spec.concurrency_limit,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def require_server() -> str:
    """The API URL; serving against an ephemeral API would never see a scheduled run."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError(
            "dwt serve needs a Prefect server: run `prefect server start` and set "
            "PREFECT_API_URL (e.g. http://127.0.0.1:4200/api); see docs/SCHEDULING.md"
        )
    return str(url)


def run_cli(args: argparse.Namespace) -> int:
    specs = [
        with_data_dir(s, args.data_dir)
        for s in load_specs(find_prefect_file(getattr(args, "prefect_file", None)))
    ]
    deployments = [to_runner_deployment(s) for s in specs]
    for spec, deployment in zip(specs, deployments, strict=True):
        print(describe(spec, str(deployment.flow_name)))
    if getattr(args, "list", False):
        return 0
    url = require_server()
    print(f"serving {len(deployments)} deployments against {url} (Ctrl-C stops)", flush=True)
    from prefect import serve

    # Served runs inherit this process's environment (DWT_PSEUDONYM_KEY, DWT_DATA_DIR); one
    # run at a time, so a report never reads a lake an ingest is still writing.
    serve(*deployments, print_starting_message=False, limit=1)
    return 0
