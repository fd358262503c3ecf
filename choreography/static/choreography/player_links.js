// The practice player's signed video link: renewed from the video detail shortly before it
// expires (or when the video fails to load), swapped in at the same time and play state.
// Loaded before player.js, which makes one with ChoreoVideoLinks.create(video, hooks).
"use strict";

const ChoreoVideoLinks = (() => {
  /** hooks: {taskId(), onFailed(), onSwapped(t)}; the returned object's ``swapAt`` is where a
   * loading link resumes (a seek during the swap moves it). */
  function create(video, hooks) {
    const links = { timer: null, renewing: null, renewedAt: 0, renewedUrl: "", swapAt: null };

    function schedule(expiresAt) {
      clearTimeout(links.timer);
      const expires = Date.parse(expiresAt || "");
      if (!hooks.taskId() || !Number.isFinite(expires)) return;
      const left = expires - Date.now();
      const lead = Math.min(60_000, Math.max(0, left / 4)); // a quarter of a short life, else a minute
      links.timer = setTimeout(renew, Math.max(0, left - lead));
    }

    /** A fresh link from the video detail, swapped in where the dancer is, playing or not. */
    function renew() {
      const taskId = hooks.taskId();
      if (!taskId || links.renewing) return links.renewing;
      links.renewing = (async () => {
        const response = await fetch(`/api/choreography/videos/${encodeURIComponent(taskId)}/`, {
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(`the video could not be renewed (${response.status})`);
        const detail = await response.json();
        swap(detail.video_url);
        links.renewedAt = Date.now();
        links.renewedUrl = detail.video_url;
        schedule(detail.video_url_expires_at);
        document.dispatchEvent(new CustomEvent("choreo:renewed", { detail }));
      })()
        .catch(hooks.onFailed)
        .finally(() => { links.renewing = null; });
      return links.renewing;
    }

    function swap(url) {
      links.swapAt = video.currentTime;
      const wasPlaying = !video.paused && !video.ended;
      video.addEventListener(
        "loadedmetadata",
        () => {
          video.currentTime = links.swapAt;
          links.swapAt = null;
          if (wasPlaying) video.play().catch(() => {});
        },
        { once: true },
      );
      video.src = url;
    }

    video.addEventListener("error", () => {
      // An expired link answers 403; renew it, but not in a loop when a fresh link fails too.
      const freshFailed = video.currentSrc === links.renewedUrl && Date.now() - links.renewedAt < 5000;
      if (hooks.taskId() && !freshFailed) renew();
    });

    /** A new video: forget the previous one's renewal. */
    function reset(expiresAt) {
      links.renewedAt = 0;
      links.renewedUrl = "";
      schedule(expiresAt);
    }

    return Object.assign(links, { renew, reset });
  }

  return { create };
})();
