"""A number box for the teaching app that never loses what a student typed.

Solara's ``InputFloat`` hands a typed value on only when the page is next drawn, and a
drawing of the page may be done by another thread (Play's) that still holds the world
before a Reset: a value typed right after Reset could go to the old world, or reach the
new one after the next Step. This box sends the text it holds in the browser with the
Enter key (or when it loses focus) straight to its handler, in the order of the student's
clicks and keys; the handler then acts on the session's current world. A value the page
shows later (a new world's) never overwrites text being typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipyvuetify as v
import traitlets

__all__ = ["TypedBox", "TypedBoxWidget"]

TEMPLATE = """
<template>
  <v-text-field v-model="text" :label="label" :class="box_class" hide-details="auto"
    @input="edited = true" @keyup.enter.native="send" @blur="send"></v-text-field>
</template>
<script>
module.exports = {
  data() {
    return { text: "", edited: false };
  },
  created() {
    this.text = this.shown;
  },
  watch: {
    shown(value) {
      if (!this.edited) {
        this.text = value;
      }
    },
  },
  methods: {
    send() {
      if (this.edited) {
        this.edited = false;
        this.submit(this.text);
      }
    },
  },
};
</script>
"""


class TypedBoxWidget(v.VuetifyTemplate):
    """The box's widget: ``shown`` is the value the page shows, ``handler`` gets the text."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    shown = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    box_class = traitlets.Unicode("").tag(sync=True)
    handler = traitlets.Any(None, allow_none=True)  # not sent to the browser

    def vue_submit(self, text: Any) -> None:
        """Hand the text typed in the browser to the handler (in the message's thread)."""
        if self.handler is not None:
            self.handler("" if text is None else str(text))


def TypedBox(  # noqa: N802 - a Solara element, PascalCase like Solara's own
    label: str, shown: str, on_submit: Callable[[str], None], classes: list[str]
) -> Any:
    """Return a box showing ``shown`` that calls ``on_submit(text)`` on Enter or blur.

    ``on_submit`` receives the text as typed and must act on the current state (it may be
    called before the page has drawn the latest state).
    """
    return TypedBoxWidget.element(
        label=label, shown=shown, box_class=" ".join(classes), handler=on_submit
    )
