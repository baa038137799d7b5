/*
 * Names for the controls Dash draws itself, so screen readers (and axe-core) can tell what each is:
 * the typing box (or combobox) inside a dcc.Dropdown (react-select) gets the text of the <label for=dropdown-id>
 * beside it, or of its control's label, or its placeholder; react-select's chosen-value chips drop
 * their stray role="option" (they are not in a listbox). dcc.Slider handles get the slider's label.
 * Re-applied whenever Dash redraws part of the page. Kept in a file, not inline (Content Security Policy).
 */
(function () {
  "use strict";

  function labelText(container) {
    var id = container.id;
    if (id) {
      var label = document.querySelector('label[for="' + CSS.escape(id) + '"]');
      if (label) { return label.textContent.trim(); }
    }
    var control = container.closest(".control, .form-field");
    if (control) {
      var own = control.querySelector(".control-label");
      if (own) { return own.textContent.trim(); }
    }
    var placeholder = container.querySelector(".Select-placeholder");
    return placeholder ? placeholder.textContent.trim() : "";
  }

  function name() {
    document.querySelectorAll(".dash-dropdown").forEach(function (dropdown) {
      var text = labelText(dropdown);
      // The typing box, or (for a dropdown that cannot be typed into) the div react-select makes the combobox.
      dropdown.querySelectorAll('input, [role="combobox"]').forEach(function (input) {
        if (text && input.getAttribute("aria-label") !== text) { input.setAttribute("aria-label", text); }
      });
      dropdown.querySelectorAll('.Select-value[role="option"], .Select-value [role="option"]').forEach(function (chip) {
        chip.removeAttribute("role");
        chip.removeAttribute("aria-selected");
      });
    });
    document.querySelectorAll(".rc-slider").forEach(function (slider) {
      var text = labelText(slider.closest("[id]") || slider);
      slider.querySelectorAll('[role="slider"]').forEach(function (handle) {
        if (text && !handle.getAttribute("aria-label")) { handle.setAttribute("aria-label", text); }
      });
    });
  }

  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; name(); });
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
