"""Reading YAML strictly: a key given twice in one mapping is an error, not the last one winning.

libyaml reads a long ``sources.yaml`` about ten times faster than PyYAML's pure-Python reader; every
error message is still the pure reader's, word for word (``load_yaml``). Imported only when a file is
really read: a command whose sources are cached (``sources.load_config``) never loads PyYAML.
"""

from __future__ import annotations

from typing import Any

import yaml


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that rejects a key given twice in one mapping instead of keeping the last."""


class _FastUniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same over libyaml when PyYAML was built with it: about ten times faster on a long file."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


for _loader in (_UniqueKeyLoader, _FastUniqueKeyLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str) -> Any:
    """The document, read by libyaml when available. A file it refuses, or one with a character the
    pure-Python reader refuses, is read again by the pure-Python loader, so every error message is the
    one that loader gives (libyaml words some problems differently)."""
    if _FastUniqueKeyLoader.__mro__[1] is not yaml.SafeLoader and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        try:
            return yaml.load(text, Loader=_FastUniqueKeyLoader)
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=_UniqueKeyLoader)
