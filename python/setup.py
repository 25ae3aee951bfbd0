"""Builds the lowvolt package for pip: the compiled module lowvolt._core comes from LowVolt's CMake
build (target lowvolt_python), the Python files, stubs and py.typed from python/lowvolt/.

    pip install --no-build-isolation ./python      # into the active environment (a venv)
    pip wheel --no-build-isolation --no-deps -w dist ./python

The build folder is LOWVOLT_BUILD_DIR (absolute, or relative to the repository root), else the
release preset's build/release. An existing build
(CMakeCache.txt present) is only brought up to date (`cmake --build --target lowvolt_python`);
otherwise it is configured first with the release preset and LOWVOLT_BUILD_PYTHON=ON. The module
is built for Debian's /usr/bin/python3 (its torch and numpy); the environment installing it must
run the same Python version (a venv made with --system-site-packages from it). docs/python.md.
"""
import glob
import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# LOWVOLT_BUILD_DIR: absolute, or relative to the repository root (pip runs this file in python/).
BUILD = os.path.join(ROOT, os.environ.get("LOWVOLT_BUILD_DIR") or os.path.join("build", "release"))
# setuptools' own folders (build/lib, the egg-info) go into the CMake build, emptied first: nothing
# is written into the source tree, and no file of an earlier package build is packed again.
STAGE = os.path.join(BUILD, "python-setuptools")
shutil.rmtree(STAGE, ignore_errors=True)
os.makedirs(STAGE)


class CMakeBuild(build_ext):
    """Builds lowvolt._core with CMake and copies it to where setuptools expects the extension."""

    def build_extension(self, ext):
        if not os.path.isfile(os.path.join(ROOT, "CMakeLists.txt")):
            raise RuntimeError(f"lowvolt: {ROOT} is not the LowVolt repository (no CMakeLists.txt)")
        build = BUILD
        if not os.path.isfile(os.path.join(build, "CMakeCache.txt")):
            subprocess.run(["cmake", "--preset", "release", "-B", build, "-DLOWVOLT_BUILD_PYTHON=ON"],
                           cwd=ROOT, check=True)
        subprocess.run(["cmake", "--build", build, "--target", "lowvolt_python"], cwd=ROOT,
                       check=True)
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = glob.glob(os.path.join(build, "python", "lowvolt", "_core*.so"))
        if len(built) != 1:
            raise RuntimeError(f"lowvolt: expected one _core module in {build}/python/lowvolt, "
                               f"found {built}")
        if not built[0].endswith(suffix):
            raise RuntimeError(f"lowvolt: {built[0]} was built for another Python than "
                               f"{sys.executable} (extension suffix {suffix}); build the package "
                               "with the Python the module is built for (Debian's /usr/bin/python3)")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(built[0], target)


setup(ext_modules=[Extension("lowvolt._core", sources=[])], cmdclass={"build_ext": CMakeBuild},
      options={"build": {"build_base": os.path.join(STAGE, "build")},
               "egg_info": {"egg_base": STAGE}})
