"""Transcript: every course by term (archived terms included), credits, and GPA per term and overall."""

from canvas.dashboard import transcript
from canvas.dashboard.frame import render_frame

fr = render_frame("Transcript", "🎓")
transcript.render(fr.user_id, fr.version)
