"""The Streamlit dashboard's building blocks (the page files in `pages/` stay UI-only).

- `frame`: page config, the sidebar (sync widget, navigation), user resolution: every page calls it first.
- `data`: the engine (st.cache_resource) and the cached loaders keyed on (user id, data version).
- `syncing`: "Sync now" and the in-app fallback thread (database and Canvas only, never Streamlit).
- `charts`, `ics`, `fmt`, `whatif_data`: pure functions, unit-tested without Streamlit (the rules they
  apply live in `canvas.analysis`).
"""
