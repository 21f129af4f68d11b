#!/usr/bin/env python3
"""scripts/check-layout passes a tree that keeps its rules and fails each kind of break."""

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "check-layout"

TABLE = """# Architecture

| folder | owns | may depend on |
|---|---|---|
| `src/base/` | words | — |
| `src/plan/` | the plan | `src/base/` |
| `src/posix/` | system calls | `src/base/` |
| `src/cli/` | the command line | `src/base/`, `src/plan/`, `src/posix/` |
"""

FILES = {
    "docs/ARCHITECTURE.md": TABLE,
    "include/procrun/words.hpp": "#pragma once\n",
    "include/procrun/plan.hpp": '#pragma once\n#include "procrun/words.hpp"\n',
    "include/procrun/posix/fd.hpp": "#pragma once\ninline void shut(int fd) { ::close(fd); }\n",
    "src/base/words.cpp": '#include "procrun/words.hpp"\n',
    "src/plan/plan.cpp": '#include "procrun/plan.hpp"\n#include "plan/detail.hpp"\n',
    "src/plan/detail.hpp": "#pragma once\n",
    "src/posix/fd.cpp": '#include "procrun/posix/fd.hpp"\nint f() { return ::open("x", 0); }\n',
    "src/cli/main.cpp": '#include "procrun/plan.hpp"\n#include "procrun/posix/fd.hpp"\n'
                        '// ::kill(1, 2) in a comment is not a call\n'
                        'const char* s = "::kill(1, 2)";\n',
    "tests/unit/plan/plan_test.cpp": '#include "plan/detail.hpp"\n#include "procrun/posix/fd.hpp"\n',
    "tests/e2e/run_test.cpp": '#include "harness.hpp"\n',
}


class CheckLayoutTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="procrun-layout-"))
        for name, text in FILES.items():
            path = self.dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_check(self):
        return subprocess.run([sys.executable, str(SCRIPT), "--root", str(self.dir)],
                              capture_output=True, text=True, timeout=60)

    def write(self, name, text):
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def assert_break(self, expected):
        r = self.run_check()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(expected, r.stdout)

    def test_a_tree_that_keeps_the_rules_passes(self):
        r = self.run_check()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_a_system_call_outside_posix(self):
        self.write("src/plan/plan.cpp", '#include "procrun/plan.hpp"\nvoid g() { ::kill(1, 15); }\n')
        self.assert_break("src/plan/plan.cpp:2:12: system call ::kill outside src/posix/")

    def test_a_private_header_of_another_folder(self):
        self.write("src/cli/main.cpp", '#include "plan/detail.hpp"\n')
        self.assert_break("src/cli/main.cpp:1: includes plan/detail.hpp, a header private to src/plan/")

    def test_a_lower_stage_including_a_higher_one(self):
        self.write("src/base/words.cpp", '#include "procrun/words.hpp"\n#include "procrun/plan.hpp"\n')
        self.assert_break("src/base/words.cpp:2: src/base/ includes procrun/plan.hpp of src/plan/, "
                          "which it may not depend on")

    def test_a_folder_the_table_does_not_name(self):
        self.write("src/extra/x.cpp", "int x;\n")
        self.assert_break("folder src/extra/ is not in the folder table")

    def test_a_source_outside_every_folder(self):
        self.write("src/loose.cpp", "int x;\n")
        self.assert_break("src/loose.cpp: a source outside every folder of src/")

    def test_a_public_header_without_an_owner(self):
        self.write("include/procrun/orphan.hpp", "#pragma once\n")
        self.assert_break("include/procrun/orphan.hpp: no folder of src/ owns this header")

    def test_an_end_to_end_test_including_the_library(self):
        self.write("tests/e2e/run_test.cpp", '#include "procrun/plan.hpp"\n')
        self.assert_break("tests/e2e/run_test.cpp:1: includes procrun/plan.hpp")

    def test_a_unit_test_outside_the_mirror(self):
        self.write("tests/unit/loose_test.cpp", "int x;\n")
        self.assert_break("tests/unit/loose_test.cpp: unit tests live in the folder")

    def test_the_project_keeps_its_own_rules(self):
        r = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
