// Keelson's one script. Every page works without it; it only saves clicks:
// filter forms marked data-autosubmit send themselves when a choice
// changes, and buttons marked data-confirm ask before posting.
"use strict";

document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form && event.target.matches("select")) {
    form.requestSubmit();
  }
});

document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
