"""Rebuild this folder: a tiny random OPUS-MT zh-en model converted by CTranslate2 2.24.0.

Older official Argos zh->en packages were converted by CTranslate2 2.x, which writes
``model.bin`` + ``shared_vocabulary.txt`` and NO ``config.json``. CTranslate2 4.x's
converter cannot write that format, so the replica is made once with the real 2.24.0
converter in a throwaway virtual environment and committed as test data (never by tests):

    python3 -m venv /tmp/ct2v2
    /tmp/ct2v2/bin/pip install ctranslate2==2.24.0 numpy sentencepiece pyyaml
    /tmp/ct2v2/bin/python tests/data/replica-ct2v2/make.py

(made with Python 3.11, ctranslate2 2.24.0, numpy 2.4.6, sentencepiece 0.2.3, PyYAML 6.0.4).
It writes model/ (the converter's output, int8 like the Argos packages) and
sentencepiece.model (the source spm, as Argos packages ship it) next to this script; the
Marian folder comes from ``tests/replicas.build_opus_mt_dir`` (joint vocabulary).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # tests/, for replicas.py


def main() -> None:
    import ctranslate2
    import replicas
    from ctranslate2.converters import OpusMTConverter

    if ctranslate2.__version__ != "2.24.0":
        sys.exit(f"needs ctranslate2 2.24.0, this is {ctranslate2.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        opus = replicas.build_opus_mt_dir(Path(tmp) / "opus-mt-zh-en", joint=True)
        out = HERE / "model"
        OpusMTConverter(str(opus)).convert(str(out), quantization="int8", force=True)
        shutil.copyfile(opus / "source.spm", HERE / "sentencepiece.model")
    for f in sorted(HERE.rglob("*")):
        if f.is_file():
            print(f"{f.relative_to(HERE)}\t{f.stat().st_size}")


if __name__ == "__main__":
    main()
