#!/usr/bin/env bash
# The GPU checks in one shot on a headless GPU node (docs/performance.md, GPU section):
# the gpu-marked tests, then scripts/bench_gpu.py --json. Under 10 minutes in one call.
#
#   scripts/gpu_node.sh --prepare DIR     on a machine with pip and the internet (Debian 12):
#                                         wheels for the node's Python into DIR/whl, the X/GL
#                                         libraries libgmsh needs into DIR/lib
#   scripts/gpu_node.sh DIR [OUT]         on the node, from the repository root: install the
#                                         wheels into a scratch SITE, run the tests and the
#                                         benchmark, write OUT (default gpu-out/)
#
# The node image is assumed to have CuPy, NumPy, SciPy, h5py, matplotlib, rich and pytest
# (a CUDA 13 node has cupy-cuda13x: use it, not the cupy-cuda12x of the gpu extra); gmsh,
# pyamg, scikit-fem and meshio come as wheels. PYVER (default 3.12) is the node's Python.
set -euo pipefail

PYVER=${PYVER:-3.12}
PY=${PYTHON:-python3}
LIBS="libGLU.so.1 libGL.so.1 libOpenGL.so.0 libGLX.so.0 libGLdispatch.so.0 libXrender.so.1
libXcursor.so.1 libXfixes.so.3 libXft.so.2 libfontconfig.so.1 libXinerama.so.1 libfreetype.so.6"

if [[ "${1:-}" == "--prepare" ]]; then
    dir=${2:?usage: gpu_node.sh --prepare DIR}
    mkdir -p "$dir/whl" "$dir/lib"
    "$PY" -m pip download --no-deps --only-binary=:all: --python-version "$PYVER" \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 \
        --platform manylinux2014_x86_64 --platform any -d "$dir/whl" gmsh pyamg scikit-fem meshio
    for lib in $LIBS; do
        path=$(/sbin/ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')
        if [[ -n "$path" ]]; then cp -L "$path" "$dir/lib/"; else echo "missing here: $lib"; fi
    done
    du -sh "$dir"
    exit 0
fi

dir=${1:?usage: gpu_node.sh DIR [OUT]  (DIR from --prepare)}
out=${2:-gpu-out}
dir=$(cd "$dir" && pwd)
mkdir -p "$out"
site=$(mktemp -d "${TMPDIR:-/tmp}/fea-site.XXXXXX")
start=$(date +%s)

"$PY" -m pip install --quiet --no-index --no-deps --target "$site" "$dir"/whl/*.whl
# pip --target leaves gmsh's shared library inside the wheel's .data/data/lib: extract it
# where gmsh.py looks for it
"$PY" - "$site" "$dir"/whl/gmsh-*.whl <<'EOF'
import sys, zipfile
from pathlib import Path
site = Path(sys.argv[1])
(site / "lib").mkdir(exist_ok=True)
with zipfile.ZipFile(sys.argv[2]) as z:
    for name in z.namelist():
        if "/lib/libgmsh.so" in name:
            (site / "lib" / Path(name).name).write_bytes(z.read(name))
EOF
export PYTHONPATH="$site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
export LD_LIBRARY_PATH="$dir/lib:$site/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
missing=$(ldd "$site"/lib/libgmsh.so* | grep "not found" || true)
[[ -z "$missing" ]] || { echo "libgmsh still misses:"; echo "$missing"; }
"$PY" -c "import gmsh, cupy; print('gmsh', gmsh.__version__, '| cupy', cupy.__version__)"

# the tests (about 3 minutes), then the benchmark in what is left of ~9 minutes
set +e
timeout 300 "$PY" -m pytest -m gpu -q -p no:cacheprovider -ra tests 2>&1 | tee "$out/pytest.txt"
tests_rc=${PIPESTATUS[0]}
left=$(( 540 - ($(date +%s) - start) ))
(( left > 120 )) || left=120
timeout $(( left + 20 )) "$PY" scripts/bench_gpu.py --budget "$left" --json "$out/bench.json" \
    2>&1 | tee "$out/bench.txt"
bench_rc=${PIPESTATUS[0]}
echo "gpu_node: tests rc=$tests_rc, bench rc=$bench_rc, $(( $(date +%s) - start )) s"
rm -rf "$site"
exit $(( tests_rc != 0 ? tests_rc : bench_rc ))
