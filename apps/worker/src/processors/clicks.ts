import type { Payload } from "@salvo/queue";
import { isbot } from "isbot";
import { UAParser } from "ua-parser-js";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";

/**
 * Link previewers (messaging apps unfurling a link) that isbot's list may not
 * name: they fetch a link when it is sent or shown, not when a human clicks it.
 */
const PREVIEWERS =
  /facebookexternalhit|facebookcatalog|WhatsApp|Slackbot|Slack-ImgProxy|TelegramBot|Twitterbot|Discordbot|LinkedInBot|SkypeUriPreview|Applebot|iMessage|Viber|redditbot|Pinterestbot|Google-PageRenderer/i;

/** What a click's user agent says: a bot or not, and the device type, OS and browser. */
function readUserAgent(userAgent: string) {
  const { device, os, browser } = new UAParser(userAgent).getResult();
  return {
    // No browser sends an empty user agent: scripts and previewers do.
    bot: userAgent.trim() === "" || isbot(userAgent) || PREVIEWERS.test(userAgent),
    // ua-parser names mobile, tablet, console, smarttv, wearable, embedded; none is a computer.
    device: device.type ?? (os.name ? "desktop" : null),
    os: os.name ?? null,
    browser: browser.name ?? null,
    brand: device.vendor ?? null,
    model: device.model ?? null,
  };
}

/**
 * Records a click the redirect enqueued (once: its id is the row's key), counts
 * a human's first click on its message, and posts its `message.clicked` event.
 * Bots' clicks are recorded apart: no counter, no event.
 */
export async function recordClick(
  ctx: Pick<WorkContext, "store" | "webhooks" | "logger" | "batchChanges">,
  click: Payload<"clicks">,
): Promise<void> {
  const { events } = await ctx.store.links.recordClick({
    id: click.clickId,
    batchId: click.batchId,
    idx: click.idx,
    urlIndex: click.urlIndex,
    accountId: click.accountId,
    at: new Date(click.at),
    shortUrl: click.shortUrl,
    ipPrefix: click.ipPrefix,
    ...readUserAgent(click.userAgent),
  });
  ctx.batchChanges.changed(click.batchId);
  await dispatchEvents(ctx, events);
}
