"""The Aurora IDL files must carry exactly the schema facts of their release.

Runs the shared ``schema_facts.py --compare`` tool on each ``thrift/aurora/<release>/api.thrift``
against the matching facts file in the shared folder (``../shared`` next to the project root).
"""
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / 'shared'
SCHEMA_FACTS = SHARED / 'tools' / 'schema_facts.py'

# Every distinct Aurora api.thrift: 0.18.1 and 0.19.1 share 0.18.0's and 0.19.0's, and the
# aurora-scheduler fork's 0.23.0 to 0.27.0 share one (its facts file is api-0.27.0.json).
RELEASES = [(release, 'api-%s.0.json' % release)
            for release in ('0.14', '0.15', '0.16', '0.17', '0.18', '0.19', '0.20', '0.21', '0.22', '0.27')]


def test_every_release_folder_is_compared():
    found = sorted(p.name for p in (PROJECT_ROOT / 'thrift' / 'aurora').iterdir() if p.is_dir())
    assert found == [release for release, _ in RELEASES]


@pytest.mark.parametrize('release,facts_name', RELEASES, ids=[r for r, _ in RELEASES])
def test_idl_has_same_facts(release, facts_name):
    if not SHARED.is_dir():
        pytest.skip('shared folder %s is missing; it holds schema_facts.py and the facts files'
                    % SHARED)
    pytest.importorskip('thriftpy2', reason='schema_facts.py needs thriftpy2 (pip install -e .)')
    idl = PROJECT_ROOT / 'thrift' / 'aurora' / release / 'api.thrift'
    facts = SHARED / 'aurora-schema' / facts_name
    assert idl.is_file(), idl
    assert facts.is_file(), facts
    assert SCHEMA_FACTS.is_file(), SCHEMA_FACTS
    proc = subprocess.run([sys.executable, str(SCHEMA_FACTS), '--compare', str(idl), str(facts)],
                          capture_output=True, text=True, cwd=str(PROJECT_ROOT), timeout=300)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert 'same facts' in proc.stdout, report
