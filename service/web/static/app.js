// Progressive enhancement only: every page works without it.
// - htmx requests carry the CSRF token from <body data-csrf-token>;
// - forms with data-confirm ask before a consequential action.
document.addEventListener("htmx:configRequest", (event) => {
  event.detail.headers["X-CSRF-Token"] = document.body.dataset.csrfToken;
});
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
