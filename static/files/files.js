// The file manager page: folder uploads keep their relative paths, selection buttons.
(function () {
  "use strict";

  // Django keeps only the base name of an uploaded file, so a folder upload sends each
  // file's path inside the folder in a parallel field, in the same order as the files.
  const tree = document.querySelector("input[name=tree]");
  const holder = document.querySelector(".tree-paths");
  if (tree && holder) {
    tree.addEventListener("change", function () {
      holder.replaceChildren();
      for (const file of tree.files) {
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = "tree_paths";
        field.value = file.webkitRelativePath || file.name;
        holder.appendChild(field);
      }
    });
  }

  const boxes = Array.from(document.querySelectorAll("input[name=paths][form=selection]"));
  const all = document.querySelector(".pick-all");
  const count = document.querySelector(".selection .picked");
  const buttons = document.querySelectorAll(".selection .needs-pick");
  function refresh() {
    const picked = boxes.filter((box) => box.checked).length;
    if (count) count.textContent = String(picked);
    buttons.forEach((button) => { button.disabled = picked === 0; });
    if (all) {
      all.checked = picked > 0 && picked === boxes.length;
      all.indeterminate = picked > 0 && picked < boxes.length;
    }
  }
  boxes.forEach((box) => box.addEventListener("change", refresh));
  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach((box) => { box.checked = all.checked; });
      refresh();
    });
  }
  refresh();
})();
