// Find a centre: where the browser can tell, sort centres by distance from
// here. Progressive enhancement only: the form works without this.
const form = document.querySelector("[data-booking-find]");
const button = form && form.querySelector("[data-booking-locate]");
const status = form && form.querySelector("[data-booking-locate-status]");

if (form && button && "geolocation" in navigator) {
  button.hidden = false;
  button.addEventListener("click", () => {
    status.textContent = button.dataset.waiting || "";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        form.elements.lat.value = position.coords.latitude.toFixed(4);
        form.elements.lon.value = position.coords.longitude.toFixed(4);
        form.elements.near.value = "";
        form.submit();
      },
      () => {
        status.textContent = button.dataset.failed || "";
      },
      { maximumAge: 600000, timeout: 15000 },
    );
  });
}
