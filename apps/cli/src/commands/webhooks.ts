import { createSecretBox } from "@salvo/webhooks";
import { Command } from "commander";
import { parseCliEnv } from "../env";
import { print, withStore } from "../options";

export function webhooksCommand(): Command {
  const webhooks = new Command("webhooks").description("administer every account's webhooks");

  webhooks
    .command("seal-secrets")
    .description(
      "seal every webhook signing secret with the first of WEBHOOK_SECRET_KEYS: those stored before keys were set, and those sealed with an older key (after a rotation)",
    )
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const keys = parseCliEnv().WEBHOOK_SECRET_KEYS;
      if (keys.length === 0) throw new Error("WEBHOOK_SECRET_KEYS is not set: there is no key to seal with");
      const box = createSecretBox(keys);
      const resealed = await withStore((store) =>
        store.webhooks.resealSecrets((stored, id) =>
          box.isCurrent(stored) ? null : box.seal(box.open(stored, id), id),
        ),
      );
      print({ resealed }, Boolean(options.json));
    });

  return webhooks;
}
