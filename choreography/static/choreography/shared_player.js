// The shared page and the front door: a shared choreography (the page's JSON: the video link
// through the share, moves, beat grid) in the practice player, read-only (the player saves, edits
// and deletes nothing).
"use strict";

ChoreoPlayer.show(JSON.parse(document.getElementById("shared-player").textContent));
