"""The OOXML layer: WordprocessingML namespaces, tag names and the one safe XML parser.

Every module that reads or writes Word XML (and the TBX/TMX readers) takes its
namespaces and its parser from here, so they are defined once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import InputError

# ----------------------------------------------------------------------------- namespaces
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STRICT_W_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"
STRICT_REL_PREFIX = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
XML_NS = "http://www.w3.org/XML/1998/namespace"


def w(tag: str) -> str:
    """Clark name of a WordprocessingML tag or attribute: ``w("p")`` -> ``{W_NS}p``."""
    return f"{{{W_NS}}}{tag}"


W = w("")  # "{W_NS}": the prefix of every WordprocessingML Clark name
W_P, W_R, W_T, W_TBL, W_TR, W_TC = w("p"), w("r"), w("t"), w("tbl"), w("tr"), w("tc")
W_SDT, W_SDTCONTENT, W_CUSTOMXML = w("sdt"), w("sdtContent"), w("customXml")
W_TXBX, W_HYPERLINK, W_FLDSIMPLE = w("txbxContent"), w("hyperlink"), w("fldSimple")
W_DEL, W_MOVEFROM, W_INS, W_MOVETO = w("del"), w("moveFrom"), w("ins"), w("moveTo")
W_RUBY, W_RUBYBASE, W_RT = w("ruby"), w("rubyBase"), w("rt")
W_FLDCHAR, W_INSTRTEXT = w("fldChar"), w("instrText")
W_PPR, W_PSTYLE, W_NUMPR, W_ILVL, W_RPR = w("pPr"), w("pStyle"), w("numPr"), w("ilvl"), w("rPr")
W_TAB, W_BR, W_CR, W_NBHYPHEN = w("tab"), w("br"), w("cr"), w("noBreakHyphen")
W_SECTPR, W_SECTPRCHANGE = w("sectPr"), w("sectPrChange")
MC_AC, MC_CHOICE, MC_FALLBACK = (f"{{{MC_NS}}}AlternateContent", f"{{{MC_NS}}}Choice",
                                 f"{{{MC_NS}}}Fallback")
M_OMATH, M_OMATHPARA = f"{{{M_NS}}}oMath", f"{{{M_NS}}}oMathPara"
R_ID = f"{{{R_NS}}}id"
XML_SPACE = f"{{{XML_NS}}}space"
XML_LANG = f"{{{XML_NS}}}lang"


# ----------------------------------------------------------------------------- parser
# The options of every XML parser in the pipeline (also usable with ``etree.iterparse``).
SAFE_OPTIONS: dict[str, Any] = dict(resolve_entities=False, no_network=True, huge_tree=False,
                                    remove_blank_text=False, load_dtd=False,
                                    dtd_validation=False)


def safe_parser(**extra: Any) -> etree.XMLParser:
    """A new lxml parser that never expands or fetches an entity.

    resolve_entities=False and no_network=True: an entity is never expanded or fetched;
    huge_tree=False keeps lxml's own limits on depth and text size; no DTD is loaded.
    ``extra`` adds options that do not weaken this (e.g. ``remove_comments=True``).
    """
    return etree.XMLParser(**{**SAFE_OPTIONS, **extra})


SAFE_PARSER = safe_parser()


def safe_parse(data: bytes, part: str, source: Path | str = "") -> etree._Element:
    """Parse one XML part with the safe parser; a DTD or bad XML is an InputError."""
    where = f"{source}: " if source else ""
    try:
        root = etree.fromstring(data, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{where}corrupt DOCX: {part} is not well-formed XML ({exc.msg})") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        # Word itself refuses DTDs in OOXML; a DTD here is an entity-expansion/XXE attempt.
        raise InputError(f"{where}refused: {part} declares an XML DTD/entities "
                         "(not allowed in DOCX; possible XXE attack)")
    return root
