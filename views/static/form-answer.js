// This page is the answer to a form sent by POST. Its history entry becomes a GET of the address the page names, so
// that Back or a reload later loads a page again instead of offering to send the form again.
history.replaceState(null, '', document.currentScript.dataset.address);
