/* Spectral lines and bands marked on the labelling page's spectrum (rest wavelengths in Å,
 * air above 2000 Å as most archives give them, vacuum below). The page shows those that
 * fall inside the spectrum at the chosen redshift: rest frame at z = 0, the observed frame
 * of a galaxy or quasar at its z. Bands are marked at their head or centre.
 */
window.vocloudLines = Object.freeze([
  // ultraviolet: quasar and galaxy redshifts
  ["Lyα", 1215.67], ["C IV", 1549.06], ["C III]", 1908.73], ["Mg II", 2798.75],
  // optical
  ["[O II]", 3727.09], ["Ca K", 3933.66], ["Ca H", 3968.47], ["Hδ", 4101.74],
  ["G band", 4304.4], ["Hγ", 4340.47], ["He I", 4471.48], ["He II", 4685.7], ["Hβ", 4861.33],
  ["[O III]", 4958.91], ["[O III]", 5006.84], ["Mg b", 5175.4], ["He I", 5875.62],
  ["Na D", 5892.94], ["[O I]", 6300.3], ["Si II", 6347.1], ["Si II", 6371.4], ["[N II]", 6548.05],
  ["Hα", 6562.8], ["[N II]", 6583.45], ["He I", 6678.15], ["[S II]", 6716.44],
  ["[S II]", 6730.82], ["TiO", 7053.6], ["O I", 7773.4], ["Ca II", 8498.02], ["Ca II", 8542.09],
  ["Ca II", 8662.14],
  // near-infrared
  ["Pa δ", 10049.4], ["He I", 10830.3], ["Pa γ", 10938.1], ["Pa β", 12818.1],
  ["Br 10", 17362.1], ["Pa α", 18751.0], ["Br γ", 21655.3], ["CO 2-0", 22935.3],
  ["CO 3-1", 23226.9],
]);
