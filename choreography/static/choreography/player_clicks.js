// The count-in's clicks for the practice player: four short beeps on the song's beat through Web
// Audio (the first one higher), scheduled ahead so they keep time. Loaded before player.js.
"use strict";

const ChoreoClicks = (() => {
  let audio = null;

  /** Schedule ``count`` clicks ``beat`` seconds apart; the number scheduled (0 without Web Audio). */
  async function play(count, beat) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return 0;
    audio = audio || new Context();
    await audio.resume().catch(() => {});
    const t0 = audio.currentTime + 0.05;
    for (let i = 0; i < count; i += 1) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = i === 0 ? 1600 : 1100;
      gain.gain.setValueAtTime(0.6, t0 + i * beat);
      gain.gain.exponentialRampToValueAtTime(0.001, t0 + i * beat + 0.06);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(t0 + i * beat);
      oscillator.stop(t0 + i * beat + 0.07);
    }
    return count;
  }

  return { play };
})();
