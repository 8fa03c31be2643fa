"""Sweeps and simulations on Dask: a 2-worker LocalCluster started here gives exactly the serial
results, a worker killed mid-sweep loses nothing, failures become rows, simulations resume from
their chunks, the CLI checks its arguments, and the Experiments page shows a results file."""

from __future__ import annotations

import io
import os
import signal
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from tiny_pools import write_two_category_pool

from core.cli import main
from core.endtoend.simulation import PopulationModel, simulate_algorithm, simulate_phase_one
from core.errors import InputError
from core.experiments.cluster import ProgressLine, open_client, scheduler_address
from core.experiments.simulate import PartsFolder, Simulation, results_table, simulate
from core.experiments.sweep import load_scenarios, run_sweep, write_results
from core.experiments.views import SIMULATION, SWEEP, read_results, simulation_curve, sweep_figure
from core.io.generator import proportional_quotas
from core.io.synthetic import CategorySpec, PopulationSpec

ROOT = Path(__file__).resolve().parents[1]
FIGURES_THAT_VARY = ["seconds"]


@pytest.fixture(scope="module")
def client():
    with open_client(workers=2) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory) -> tuple[Path, Path]:
    """A 200-volunteer pool and a folder of three quota files: the base, a wider one, an impossible one."""
    folder = tmp_path_factory.mktemp("sweep")
    pool, quotas = write_two_category_pool(folder)
    scenarios = folder / "scenarios"
    scenarios.mkdir()
    base = pd.read_csv(quotas)
    base.to_csv(scenarios / "base.csv", index=False)
    wide = base.assign(min=base["min"] - 4, max=base["max"])
    wide.to_csv(scenarios / "wide.csv", index=False)
    impossible = base.assign(min=[15, 15, 9, 9], max=[15, 15, 20, 20])  # 15 + 15 women and men for 20 seats
    impossible.to_csv(scenarios / "impossible.csv", index=False)
    return pool, scenarios


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=FIGURES_THAT_VARY).reset_index(drop=True)


def test_sweep_on_two_workers_equals_the_serial_sweep(client, scenario_files) -> None:
    pool, folder = scenario_files
    instances = load_scenarios(pool, [folder], 20)
    assert list(instances) == ["base.csv", "impossible.csv", "wide.csv"]
    algorithms, seeds = ["leximin", "legacy", "maximin"], [0, 1]
    options = {"legacy": {"draws": 400}}
    serial = run_sweep(instances, algorithms, seeds, options=options)
    distributed = run_sweep(instances, algorithms, seeds, options=options, client=client)
    pd.testing.assert_frame_equal(comparable(serial), comparable(distributed))
    assert len(serial) == 3 * 3 * 2
    failed = serial[serial["scenario"] == "impossible.csv"]
    assert (failed["status"] == "failed").all() and failed["message"].str.contains("no panel meets every quota").all()
    ok = serial[serial["status"] == "ok"]
    assert len(ok) == 12 and (ok["panels meeting quotas"] == 1.0).all()
    # leximin gives everyone at least what legacy's least lucky volunteer gets, scenario by scenario
    for scenario in ("base.csv", "wide.csv"):
        rows = ok[ok["scenario"] == scenario].set_index(["algorithm", "seed"])
        assert rows.loc[("leximin", 0), "min probability"] >= rows.loc[("legacy", 0), "min probability"] - 1e-9
    # the same computation has the same hash; other seeds or algorithms do not
    assert serial["input hash"].nunique() == len(serial)


def test_a_worker_killed_mid_sweep_loses_nothing(client, scenario_files) -> None:
    pool, folder = scenario_files
    instances = {name: inst for name, inst in load_scenarios(pool, [folder], 20).items() if name != "impossible.csv"}
    options = {"legacy": {"draws": 2000}}
    seeds = list(range(3))
    killed = threading.Event()

    def kill_one_worker(done: int, total: int, row: dict) -> None:
        if not killed.is_set():
            killed.set()
            pids = client.run(os.getpid)
            os.kill(next(iter(pids.values())), signal.SIGKILL)  # the nanny starts a new worker; Dask re-runs its tasks

    distributed = run_sweep(instances, ["legacy", "leximin"], seeds, options=options, client=client,
                            on_row=kill_one_worker)
    assert killed.is_set()
    serial = run_sweep(instances, ["legacy", "leximin"], seeds, options=options)
    pd.testing.assert_frame_equal(comparable(serial), comparable(distributed))
    assert (distributed["status"] == "ok").all()


def small_simulation(seed: int = 3) -> Simulation:
    spec = PopulationSpec(categories=(
        CategorySpec("age", ("young", "middle", "old"), (0.3, 0.4, 0.3), (0.3, 0.6, 1.0)),
        CategorySpec("education", ("low", "high"), (0.6, 0.4), (0.4, 1.0)),
    ), beta0=0.1, latent_classes=2, correlation=0.4)
    model = PopulationModel.from_spec(spec, size=100_000)
    quotas = proportional_quotas(model.shares(), 10, model.categories, model.values, slack=0.3)
    return Simulation(model, 1500, 10, quotas, seed, options={"legacy": {"draws": 300}})


def test_simulation_on_two_workers_equals_the_serial_simulation(client) -> None:
    simulation = small_simulation()
    pools_phase_one, pools_other = 1500, 12
    distributed = simulate(simulation, ["endtoend"], pools_phase_one, client=client)[0]
    serial = simulate_phase_one(simulation.model, simulation.letters, simulation.k, pools_phase_one, seed=simulation.seed)
    np.testing.assert_allclose(distributed.probability, serial.probability, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(distributed.standard_error, serial.standard_error, rtol=1e-9, atol=1e-15)
    assert (distributed.pools, distributed.skipped) == (serial.pools, serial.skipped)
    for algorithm in ("legacy", "leximin"):
        distributed = simulate(simulation, [algorithm], pools_other, client=client)[0]
        serial = simulate_algorithm(simulation.model, simulation.letters, simulation.k, simulation.quotas, algorithm,
                                    pools_other, seed=simulation.seed, options=simulation.options.get(algorithm))
        np.testing.assert_allclose(distributed.probability, serial.probability, rtol=1e-12, atol=1e-15)
        assert (distributed.pools, distributed.skipped) == (serial.pools, serial.skipped)
        assert distributed.pools > 0
        assert simulation.model.sizes @ distributed.probability == pytest.approx(simulation.k)


def test_simulation_resumes_from_its_chunks_and_refuses_another_simulation(tmp_path) -> None:
    simulation = small_simulation()
    out = tmp_path / "sim.parquet"
    first = simulate(simulation, ["legacy"], 25, out=out, manifest={"case": "test"})[0]
    parts = tmp_path / "sim.parquet.parts"
    chunk_files = sorted(parts.glob("legacy-*.npz"))
    assert len(chunk_files) == 3  # 10 + 10 + 5 pools
    chunk_files[1].unlink()
    told: list[int] = []
    again = simulate(simulation, ["legacy"], 25, out=out, manifest={"case": "test"},
                     on_progress=lambda done, total, note: told.append(total))[0]
    assert set(told) == {10}  # only the missing chunk's pools were run
    np.testing.assert_allclose(again.probability, first.probability, rtol=1e-12)
    with pytest.raises(InputError, match="different simulation"):
        simulate(replace(small_simulation(seed=4), token=""), ["legacy"], 25, out=out, manifest={"case": "test"})
    table = results_table(simulation, [again])
    assert {"algorithm", "end_to_end", "ratio_to_uniform", "people", "pools"} <= set(table.columns)
    assert PartsFolder(out, {}).folder == parts


def test_sweep_command_on_a_running_cluster_writes_parquet_and_csv(client, scenario_files, tmp_path, capsys) -> None:
    pool, folder = scenario_files
    out = tmp_path / "results.parquet"
    code = main(["sweep", "--pool", str(pool), "--scenarios", str(folder / "base.csv"), str(folder / "wide.csv"),
                 "--k", "20", "--algorithms", "leximin,legacy", "--seeds", "2", "--legacy-runs", "300",
                 "--scheduler", client.scheduler.address, "--out", str(out)])
    assert code == 0
    table = pd.read_parquet(out)
    assert len(table) == 8 and (table["status"] == "ok").all()
    text = pd.read_csv(out.with_suffix(".csv"))
    pd.testing.assert_frame_equal(table.drop(columns="message"), text.drop(columns="message"), check_dtype=False)
    err = capsys.readouterr().err
    assert "8/8" in err and "wrote" in err


def test_simulate_command_runs_on_a_running_cluster(client, tmp_path, capsys) -> None:
    example = ROOT / "examples" / "climate_300"
    out = tmp_path / "sim.parquet"
    code = main(["simulate", "--population", str(example / "background.csv"), "--pool", str(example / "pool.csv"),
                 "--quotas", str(example / "quotas.csv"), "--letters", "9584", "--k", "30",
                 "--algorithms", "endtoend", "--pools", "300", "--scheduler", client.scheduler.address, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    kind, table = read_results(out.read_bytes(), out.name)
    assert kind == SIMULATION and table["pools"].iloc[0] == 300
    assert "population within ±10% of k/N" in capsys.readouterr().err


@pytest.mark.parametrize("change, expected", [
    (["--seeds", "0"], "--seeds 0 is out of range"),
    (["--algorithms", "leximin,best"], "unknown algorithm(s): best"),
    (["--out", "/nonexistent/folder/out.parquet"], "does not exist"),
    (["--workers", "0"], "--workers 0 is out of range"),
])
def test_sweep_command_refuses_bad_arguments_before_starting(scenario_files, change, expected, capsys) -> None:
    pool, folder = scenario_files
    args = {"--pool": str(pool), "--scenarios": str(folder), "--k": "20", "--algorithms": "leximin",
            "--seeds": "1", "--out": "out.parquet"}
    args.update(dict(zip(change[::2], change[1::2])))
    code = main(["sweep"] + [x for pair in args.items() for x in pair])
    assert code == 2
    assert expected in capsys.readouterr().err


def test_scheduler_address_comes_from_the_argument_or_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert scheduler_address(None) is None
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.1:8786")
    assert scheduler_address(None) == "tcp://10.0.0.1:8786"
    assert scheduler_address("tcp://127.0.0.1:1") == "tcp://127.0.0.1:1"


def test_progress_line_says_done_rate_and_time_left() -> None:
    stream = io.StringIO()
    line = ProgressLine(10, "sweep", stream=stream, every=0)
    line.update(5, "half")
    assert "5/10" in stream.getvalue() and "/s" in stream.getvalue() and "left; half" in stream.getvalue()


def test_results_files_are_told_apart_and_summarised(tmp_path, scenario_files) -> None:
    pool, folder = scenario_files
    table = run_sweep(load_scenarios(pool, [folder / "base.csv"], 20), ["leximin", "maximin"], [0, 1])
    paths = write_results(table, tmp_path / "r.parquet")
    for path in paths:
        kind, read = read_results(path.read_bytes(), path.name)
        assert kind == SWEEP and len(read) == 4
    summary = sweep_figure(table, "min probability")
    assert list(summary["runs"]) == [2, 2]
    with pytest.raises(InputError, match="not a sweep or simulation"):
        read_results(b"a,b\n1,2\n", "other.csv")
    simulation = small_simulation()
    curve = simulation_curve(results_table(simulation, simulate(simulation, ["endtoend"], 200)))
    assert curve["population share"].iloc[-1] == pytest.approx(1.0)
    assert curve["ratio to k/N"].is_monotonic_increasing


def test_experiments_page_shows_a_loaded_results_file(tmp_path, scenario_files) -> None:
    pool, folder = scenario_files
    table = run_sweep(load_scenarios(pool, [folder], 20), ["leximin"], [0])
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.session_state["experiment"] = {"kind": SWEEP, "table": table, "name": "test sweep"}
    at.switch_page("pages/7_Experiments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("1 run(s) failed" in str(w.value) for w in at.warning)
    assert at.selectbox(key="experiments_figure").value == "min probability"


def test_experiments_page_runs_a_small_sweep_on_the_loaded_pool() -> None:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=240)
    at.run()
    at.switch_page("pages/7_Experiments.py").run()
    at.multiselect(key="experiments_algorithms").set_value(["maximin"]).run()
    at.number_input(key="experiments_seeds").set_value(1).run()
    at.button(key="experiments_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.session_state["experiment"]["table"]
    assert list(table["algorithm"]) == ["maximin"] and (table["status"] == "ok").all()


def test_simulate_command_reads_participation_from_a_column(client, tmp_path, capsys) -> None:
    example = ROOT / "examples" / "climate_300"
    population = pd.read_csv(example / "background.csv").assign(Participation=0.03)
    population.to_csv(tmp_path / "population.csv", index=False)
    out = tmp_path / "sim.parquet"
    code = main(["simulate", "--population", str(tmp_path / "population.csv"), "--participation", "participation",
                 "--pool", str(example / "pool.csv"), "--quotas", str(example / "quotas.csv"), "--letters", "9584",
                 "--k", "30", "--algorithms", "endtoend", "--pools", "50", "--scheduler", client.scheduler.address,
                 "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert np.allclose(pd.read_parquet(out)["q"], 0.03, rtol=1e-12)  # the column's value, matched ignoring case, not a fitted one
