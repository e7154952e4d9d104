"""``fea structure``: the heating-curve CSVs it reads (one column, malformed rows, time units,
the same file given twice), each refused naming the command's argument."""

from __future__ import annotations

import numpy as np
import pytest

from fea.cli import main

# -- fea structure: the heating-curve CSV ------------------------------------------------------

#: A Cauer ladder whose heating curve the CSVs below hold (R [K/W], C [J/K]).
R_CAUER = np.array([0.05, 0.2, 0.3, 0.5, 1.0])


C_CAUER = np.array([2e-4, 3e-3, 1e-2, 5.0, 500.0])


def _zth(t):
    from fea.physics.structure import foster_from_cauer, zth_from_foster

    return zth_from_foster(t, *foster_from_cauer(R_CAUER, C_CAUER))


def _write(path, header: str, columns) -> str:
    rows = "\n".join(",".join(f"{v:.12g}" for v in row) for row in zip(*columns, strict=True))
    path.write_text(f"{header}\n{rows}\n")
    return str(path)


def test_structure_one_column_csv_is_refused_without_traceback(tmp_path, capsys):
    t = np.logspace(-6, 3, 50)
    p = _write(tmp_path / "one.csv", "zth_K_per_W", [_zth(t)])
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert "curves" in err and p in err and "time_s and zth_K_per_W columns" in err


def test_structure_malformed_csv_names_the_cli_key_curves(tmp_path, capsys):
    """A row with a missing value or text under the header is refused naming ``curves``
    (the command's argument), as every other check of the CSV is (it said ``curve``)."""
    for name, body in (("short", "1e-6,0.1\n2e-6\n"), ("text", "1e-6,0.1\n2e-6,abc\n")):
        p = tmp_path / f"{name}.csv"
        p.write_text(f"time_s,zth_K_per_W\n{body}")
        assert main(["structure", str(p), "-o", str(tmp_path / "sf.png")]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "error: curves = " in err and "line 3" in err


@pytest.mark.parametrize(("column", "scale"), [("time_ms", 1e3), ("time_us", 1e6)])
def test_structure_time_in_ms_or_us_is_converted_to_seconds(tmp_path, capsys, column, scale):
    """The same curve in s and in ms (us) gives the same samples, times in seconds: the
    printed time range is the one written in seconds (1e-6 to 1e3 s), not 1000x off."""
    t = np.logspace(-6, 3, 200)
    p = _write(tmp_path / f"{column}.csv", f"{column},zth_K_per_W", [t * scale, _zth(t)])
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 0
    out = capsys.readouterr().out
    assert "200 samples, 1e-06 to 1e+03 s" in out
    assert "R_total 2.05" in out  # sum of R_CAUER


def test_structure_time_column_of_another_unit_is_refused(tmp_path, capsys):
    t = np.logspace(-6, 3, 50)
    p = _write(tmp_path / "min.csv", "time_min,zth_K_per_W", [t / 60, _zth(t)])
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "time_min" in err and "time_s" in err


def test_structure_dual_interface_refuses_the_same_file_twice(tmp_path, capsys):
    t = np.logspace(-6, 3, 200)
    p = _write(tmp_path / "a.csv", "time_s,zth_K_per_W", [t, _zth(t)])
    png = str(tmp_path / "sf.png")
    for second in (p, str(tmp_path / "." / "a.csv")):
        assert main(["structure", p, second, "-o", png, "--dual-interface"]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "two different" in err


@pytest.mark.parametrize(
    "header", ["time_s,Tj_C,power_W", "time_s,Tj_C", "time_s,T_top_C", "time_s,power_W"]
)
def test_structure_temperature_or_power_column_is_not_read_as_zth(tmp_path, capsys, header):
    """A CSV without a Zth column, such as the zth.csv of a power-profile case (time_s,
    Tj_C, power_W), had its second column read as Zth: a junction at 25 degC rising by
    10 K under 2 W (Zth 5 K/W) gave R_total 35 K/W, ambient and all. Refused, naming the
    column."""
    t = np.logspace(-6, 3, 200)
    tj = 25.0 + 10.0 * (1 - np.exp(-t / 1.0))
    cols = [t, tj, np.full(t.size, 2.0)][: header.count(",") + 1]
    p = _write(tmp_path / "profile.csv", header, cols)
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "curves" in err and "zth_K_per_W" in err
    assert header.split(",")[1] in err


def test_structure_zth_column_is_found_by_name(tmp_path, capsys):
    """A tester's export with a temperature before its Zth column: the Zth column is the one
    named Zth, whatever its unit spelling, not the first after the time."""
    t = np.logspace(-6, 3, 200)
    tj = 25.0 + 2.0 * _zth(t)
    p = _write(tmp_path / "export.csv", "time_s,Tj_C,Zth [K/W]", [t, tj, _zth(t)])
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 0
    assert "R_total 2.05" in capsys.readouterr().out  # sum of R_CAUER, not Tj


@pytest.mark.parametrize(
    "header",
    ["Time [s],Tj [degC],Z_th [K/W]", "time_s,Tj_C,Z-th", "time_s,Tj_C,K_per_W", "t,P_W,Rth [K/W]"],
)
def test_structure_zth_column_spelled_otherwise_is_found(tmp_path, capsys, header):
    """A tester's export whose Zth column is spelled Z_th or Z-th, or named only by its
    unit K/W, after a temperature or power column: refused before as a temperature ('Tj
    [degC]' taken for Zth) though its Zth column was there."""
    t = np.logspace(-6, 3, 200)
    tj = 25.0 + 2.0 * _zth(t)
    p = _write(tmp_path / "export.csv", header, [t, tj, _zth(t)])
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 0, capsys.readouterr().err
    assert "R_total 2.05" in capsys.readouterr().out
