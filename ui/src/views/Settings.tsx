// Where the face networks run, how tightly faces group, and fine-tuning on the user's names.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { DeviceChoice } from "../bindings/DeviceChoice";
import type { DeviceInfo } from "../bindings/DeviceInfo";
import type { FinetuneOutcome } from "../bindings/FinetuneOutcome";
import type { Settings } from "../bindings/Settings";
import { perform, reportError, runJobs, useAppState } from "../store";

/** "grouping on your labeled people: 91% → 97%" */
export function describeFinetune(outcome: FinetuneOutcome): string {
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const change = `Grouping on your labeled people: ${pct(outcome.before)} → ${pct(outcome.after)}.`;
  return outcome.activated ? `${change} The fine-tuned model is now in use.` : `${change} That is no better, so Kindred keeps the model it had.`;
}

export function SettingsView() {
  const { revision, job, lastOutcome } = useAppState();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [device, setDevice] = useState<DeviceInfo | null>(null);
  const [checking, setChecking] = useState(false);
  const [threshold, setThreshold] = useState("");
  useEffect(() => {
    api
      .getSettings()
      .then((s) => {
        setSettings(s);
        setThreshold(s.threshold.toFixed(2));
      })
      .catch(reportError);
  }, [revision]);
  const checkDevice = () => {
    setChecking(true);
    api.deviceInfo().then(setDevice).catch(reportError).finally(() => setChecking(false));
  };
  useEffect(checkDevice, [settings?.device]);

  if (!settings) return <section class="view" data-testid="settings-view">Loading…</section>;
  const chooseDevice = async (choice: DeviceChoice) => {
    await api.setDevice(choice).catch(reportError);
    setSettings({ ...settings, device: choice });
  };
  const applyThreshold = async () => {
    const value = Number(threshold);
    if (!(value > 0 && value < 2)) return reportError("The threshold is a distance between 0 and 2 (0.65 suits most libraries).");
    await perform(() => api.setThreshold(value), `Faces regrouped at ${value.toFixed(2)}; names and corrections kept.`);
  };
  const finetune = lastOutcome?.kind === "finetune" ? lastOutcome.finetune : null;

  return (
    <section class="view settings" data-testid="settings-view">
      <header class="view-header">
        <h1>Settings</h1>
      </header>
      <fieldset>
        <legend>Where faces are found</legend>
        {(["auto", "gpu", "cpu"] as DeviceChoice[]).map((choice) => (
          <label key={choice} class="radio">
            <input type="radio" name="device" checked={settings.device === choice} onChange={() => chooseDevice(choice)} />
            {choice === "auto" ? "The faster of the graphics card (measured when there is one) and the processor" : choice === "gpu" ? "The graphics card" : "The processor"}
          </label>
        ))}
        <p class="muted" data-testid="device-info">
          {checking ? "Checking…" : device ? `In use: ${device.kind === "gpu" ? "graphics card" : "processor"} (${device.adapter}, ${device.backend}${device.driver ? `, ${device.driver}` : ""})` : "Not checked"}
        </p>
        {device?.auto && (
          <p class="muted small" data-testid="device-auto">
            {device.auto}
          </p>
        )}
        {device && (
          <p class="muted small" data-testid="models-dir">
            Face models: {device.models}
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>Grouping</legend>
        <label>
          Faces closer than <input type="number" step="0.01" min="0.3" max="1.2" value={threshold} onInput={(e) => setThreshold(e.currentTarget.value)} data-testid="threshold" /> group together
        </label>
        <button onClick={applyThreshold} disabled={job !== null}>Regroup</button>
        <p class="muted small">Lower keeps look-alikes apart, higher joins more photos of one person. Names and corrections are always kept.</p>
      </fieldset>
      <fieldset>
        <legend>Fine-tune on your people</legend>
        <p class="muted small">Trains Kindred further on the faces you named, so it tells your family apart better. It is used only if it groups your named people better than before.</p>
        <p data-testid="model-in-use">Model in use: {settings.fineTunedModel ? `fine-tuned (${settings.fineTunedModel})` : "the base model"}</p>
        {finetune && <p data-testid="finetune-result">{describeFinetune(finetune)}</p>}
        <button disabled={job !== null} onClick={() => runJobs([{ kind: "finetune" }])} data-testid="finetune">Fine-tune now</button>
        {settings.fineTunedModel && (
          <button disabled={job !== null} onClick={() => perform(() => api.useBaseModel(), "Back to the base model; faces regrouped.")}>
            Use the base model
          </button>
        )}
      </fieldset>
    </section>
  );
}
