"""A small watched world for the tests that look back: three sources on a real HTTP server on
127.0.0.1, checked twice by the real `monitor run --once` into a real SQLite file, pages changed
in between.

- Dana Example (HTML, tags nlp and Collaborators): v1.html, then v2.html (a new paper, a venue update);
- Bob Sample (Markdown, tag nlp): a page that gains a paper and a news item, whose second version
  also carries a terminal escape sequence;
- Down (tag systems): HTTP 404 both times, failing after one check.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from monitor.cli import main

from .conftest import PAGES, PageServer

BOB_V1 = """# Bob Sample

I am an assistant professor at Sample University. I am hiring PhD students for Fall 2026.

## News

- **2025-05**: Our paper on tiny transformers was accepted to NeurIPS 2025.
- **2025-01**: Gave a keynote at the Sample Workshop.

## Publications

- **Tiny Transformers Are Enough**. Bob Sample, Ann One, Ben Two, Cat Three, Dan Four. *NeurIPS 2025*. [arXiv](https://arxiv.org/abs/2505.00001)
- **Counting Tokens Carefully**. Bob Sample, Ann One. *ICLR 2024*. [pdf](https://example.org/count.pdf)
"""

BOB_V2 = BOB_V1.replace(
    "- **2025-05**",
    "- **2025-06**: Welcome to our new students \x1b[2J\x1b[31mAnn and Ben\x1b[0m.\n- **2025-05**",
).replace(
    "- **Tiny Transformers",
    "- **Sharper Sparse Probes**. Bob Sample, Cat Three. *ICML 2025*. [arXiv](https://arxiv.org/abs/2506.00009)\n"
    "- **Tiny Transformers",
)


@dataclass
class Watched:
    config: Path
    db: Path
    server: PageServer

    def cli(self, *args: str, code: int = 0) -> Result:
        """Run ``monitor`` on this world's files; the exit status must be ``code``."""
        result = CliRunner().invoke(main, ["--config", str(self.config), "--db", str(self.db), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(query, params).fetchall()


def build(tmp_path: Path, server: PageServer, *, second_run: bool = True) -> Watched:
    """Serve the first versions, run, serve the second versions, run again (unless ``second_run`` is False)."""
    server.set("/dana/", (PAGES / "v1.html").read_bytes())
    server.set("/bob/README.md", BOB_V1, content_type="text/markdown; charset=utf-8")
    server.set("/down/", b"gone", status=404)  # not retried, so the runs stay quick
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "sources.yaml"
    config.write_text(f"""sources:
  - name: Dana Example
    url: {server.url('/dana/')}
    tags: [nlp, Collaborators]
  - name: Bob Sample
    url: {server.url('/bob/README.md')}
    format: markdown
    tags: [nlp]
  - name: Down
    url: {server.url('/down/')}
    tags: [systems]
    failing_after: 1
""")
    world = Watched(config=config, db=tmp_path / "db" / "monitor.db", server=server)
    world.cli("run", "--once")
    if second_run:
        server.set("/dana/", (PAGES / "v2.html").read_bytes())
        server.set("/bob/README.md", BOB_V2, content_type="text/markdown; charset=utf-8")
        world.cli("run", "--once")
    return world
