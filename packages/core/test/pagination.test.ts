import { describe, expect, it } from "vitest";
import { PAGE_SIZE, pageCount, pageWindow } from "../src/pagination";

describe("pagination", () => {
  it.each([
    [0, 0],
    [1, 1],
    [25, 1],
    [26, 2],
    [51, 3],
  ])("%i items make %i pages", (total, pages) => {
    expect(pageCount(total)).toBe(pages);
  });

  it.each([
    [1, 0],
    [2, 25],
    [10, 225],
  ])("page %i skips %i items", (page, skip) => {
    expect(pageWindow(page)).toEqual({ skip, take: PAGE_SIZE });
  });
});
