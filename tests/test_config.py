"""``[tool.derivcheck]`` in pyproject.toml and ``--config``: discovery, precedence, errors with file:line.

Ground truth for sizes.yaml: Sum(k, (k, 1, K)) = K*(K + 1)/2 (Gauss) is 3, 6, 10 at
K = 2, 3, 4, and 3*K - 3 is 3, 6, 9: equal at the default sizes K in {2, 3}, not at K = 4.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import derivcheck.batch
from derivcheck.cli import main
from derivcheck.config import ConfigError, find_pyproject, load_config

DATA = Path(__file__).parent / "data" / "cli"
VALID = "steps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"


def test_sizes_truth() -> None:
    for k, same in ((2, True), (3, True), (4, False)):
        assert (sum(range(1, k + 1)) == 3 * k - 3) is same


def pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text('[project]\nname = "course"\n\n[tool.derivcheck]\n' + body, encoding="utf-8")
    return path


def invoke(args: list[str]) -> Any:
    return CliRunner().invoke(main, args)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The seed, timeout and configuration each file is verified with."""
    calls: list[dict[str, Any]] = []
    real = derivcheck.batch.verify_one

    def record(path: Path, shown: str, context: Any = None, seed: int = 0, timeout: float = 10.0, config: Any = None) -> Any:
        calls.append({"seed": seed, "timeout": timeout})
        return real(path, shown, context, seed=seed, timeout=timeout, config=config)

    monkeypatch.setattr(derivcheck.batch, "verify_one", record)
    return calls


def test_found_by_walking_up_past_a_pyproject_without_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(tmp_path, "seed = 5\n")
    inner = tmp_path / "sub" / "deeper"
    inner.mkdir(parents=True)
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "other"\n')  # no [tool.derivcheck]: skipped
    assert find_pyproject(inner) == tmp_path / "pyproject.toml"
    monkeypatch.chdir(inner)
    assert load_config().seed == 5


def test_config_values_apply_and_flags_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spy: list[dict[str, Any]]) -> None:
    pyproject(tmp_path, 'timeout = 4.5\nseed = 7\nformat = "json"\n')
    (tmp_path / "a.yaml").write_text(VALID)
    monkeypatch.chdir(tmp_path)
    result = invoke(["verify", "a.yaml"])
    assert result.exit_code == 0 and json.loads(result.stdout)["files"][0]["status"] == "valid"  # format from the file
    assert spy[-1] == {"seed": 7, "timeout": 4.5}
    result = invoke(["verify", "--seed", "1", "--timeout", "2", "--format", "concise", "a.yaml"])
    assert result.stdout.strip() == "All checks passed! (1 file)"
    assert spy[-1] == {"seed": 1, "timeout": 2.0}
    result = invoke(["verify", "--isolated", "a.yaml"])
    assert "✓ valid" in result.stdout and spy[-1] == {"seed": 0, "timeout": 10.0}


def test_explicit_config_file_with_top_level_keys(tmp_path: Path, spy: list[dict[str, Any]]) -> None:
    cfg = tmp_path / "derivcheck.toml"
    cfg.write_text("seed = 3\n")
    (tmp_path / "a.yaml").write_text(VALID)
    result = invoke(["verify", "--config", str(cfg), str(tmp_path / "a.yaml")])
    assert result.exit_code == 0 and spy[-1]["seed"] == 3


def test_unknown_keys_and_bad_values_are_errors_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = pyproject(tmp_path, 'timeout = 5\nsede = 1\nformat = "xml"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert f"{path}:6: unknown key 'sede'" in text and "did you mean 'seed'" in text  # every problem in one run
    assert f"{path}:7: format must be one of" in text
    (tmp_path / "a.yaml").write_text(VALID)
    monkeypatch.chdir(tmp_path)
    result = invoke(["verify", "a.yaml"])
    assert result.exit_code == 2 and "pyproject.toml:6: unknown key 'sede'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("body", ["timeout = -1\n", "seed = 1.5\n", "exclude = \"drafts\"\n", "sizes = [0]\n", "sizes = {K = [2, 99]}\n", "timeout = [\n"])
def test_bad_values_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    pyproject(tmp_path, body)
    (tmp_path / "a.yaml").write_text(VALID)
    monkeypatch.chdir(tmp_path)
    result = invoke(["verify", "a.yaml"])
    assert result.exit_code == 2 and "pyproject.toml" in result.output and "Traceback" not in result.output


def test_exclude_globs_leave_files_out_of_folder_walks_and_say_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(tmp_path, 'exclude = ["drafts", "*_wip.yaml"]\n')
    (tmp_path / "course" / "drafts").mkdir(parents=True)
    (tmp_path / "course" / "good.yaml").write_text(VALID)
    (tmp_path / "course" / "drafts" / "bad.yaml").write_text("steps:\n  - x\n  - 2*x\n")
    (tmp_path / "course" / "idea_wip.yaml").write_text("steps:\n  - x\n  - 3*x\n")
    monkeypatch.chdir(tmp_path)
    result = invoke(["verify", "course"])
    assert result.exit_code == 0, result.output
    assert "excluded by the configuration" in result.output and "bad.yaml" in result.output
    result = invoke(["verify", "--isolated", "course"])
    assert result.exit_code == 1  # without the configuration, both wrong files are checked


@pytest.mark.parametrize("seed", ["0", "2", "9"])
def test_default_sizes_from_the_configuration(tmp_path: Path, seed: str) -> None:
    target = tmp_path / "sizes.yaml"
    shutil.copy(DATA / "sizes.yaml", target)
    assert invoke(["verify", "--isolated", "--seed", seed, str(target)]).exit_code == 0  # K in {2, 3}
    cfg = tmp_path / "wide.toml"
    cfg.write_text("sizes = [2, 3, 4]\n")
    result = invoke(["verify", "--config", str(cfg), "--seed", seed, "--format", "json", str(target)])
    assert result.exit_code == 1
    step = json.loads(result.stdout)["files"][0]["chains"][0]["steps"][1]
    assert step["status"] == "invalid" and step["counterexample"]["values"] == {"K": 4}
    cfg.write_text("sizes = {N = [4]}\n")  # another size name: the file's K keeps its default
    assert invoke(["verify", "--config", str(cfg), "--seed", seed, str(target)]).exit_code == 0


def test_a_file_s_own_sizes_win_over_the_configuration(tmp_path: Path) -> None:
    target = tmp_path / "own.yaml"
    target.write_text((DATA / "sizes.yaml").read_text().replace("steps:", "sizes:\n  K: [2, 3]\nsteps:"))
    cfg = tmp_path / "wide.toml"
    cfg.write_text("sizes = [2, 3, 4]\n")
    assert invoke(["verify", "--config", str(cfg), str(target)]).exit_code == 0


# -- the result cache's settings ----------------------------------------------------------------


def test_cache_settings_are_read_and_relative_to_the_file(tmp_path: Path) -> None:
    path = pyproject(tmp_path, 'cache = false\ncache-dir = "build/derivcheck"\n')
    config = load_config(path)
    assert config.cache is False
    assert config.cache_dir == tmp_path / "build" / "derivcheck"
    assert load_config(pyproject(tmp_path, "seed = 1\n")).cache is None  # not set: the cache is on


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('cache = "no"\n', "cache must be true or false"),
        ("cache = 0\n", "cache must be true or false"),
        ("cache-dir = 3\n", "cache-dir must be a folder name"),
        ('cache-dir = ""\n', "cache-dir must be a folder name"),
        ('cache_dir = "x"\n', "did you mean 'cache-dir'"),
    ],
)
def test_bad_cache_settings_are_errors_with_their_line(tmp_path: Path, body: str, message: str) -> None:
    path = pyproject(tmp_path, "seed = 1\n" + body)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value) and f"{path}:6:" in str(err.value)  # [project], name, blank, header, seed, then the key


def test_cache_off_in_the_configuration_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DERIVCHECK_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "d.yaml").write_text(VALID)
    monkeypatch.chdir(tmp_path)
    pyproject(tmp_path, "cache = false\n")
    assert invoke(["verify", "d.yaml"]).exit_code == 0
    assert not (tmp_path / ".derivcheck_cache").exists()
    pyproject(tmp_path, "cache = true\n")
    assert invoke(["verify", "d.yaml"]).exit_code == 0
    assert (tmp_path / ".derivcheck_cache" / "CACHEDIR.TAG").is_file()
    assert invoke(["verify", "--isolated", "--no-cache", "d.yaml"]).exit_code == 0
