import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { bestFittingFile, indexFolder, pexels } from "../../../media/footage/index.ts"
import { jsonReply, type LoopbackReply, loopbackServer } from "../../fixtures/loopback-server.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("pexels")

interface Hit {
  readonly path: string
  readonly params: Record<string, string>
  readonly authorization: string | undefined
}

/**
 * A loopback stand-in for api.pexels.com and its CDN: one search result, three renditions of one clip.
 * The first `unavailable` requests are answered 503.
 */
const fakePexels = (clips: Record<string, string>, options: { readonly unavailable?: number } = {}) =>
  Effect.map(
    loopbackServer(({ url, headers }, { url: base, requests }): LoopbackReply => {
      if (requests.length <= (options.unavailable ?? 0)) return { status: 503, body: "busy" }
      if (url.pathname === "/videos/search") {
        if (headers.authorization !== "pexels-key") return { status: 401, body: JSON.stringify({ error: "bad key" }) }
        return jsonReply(200, {
          page: 1,
          per_page: 15,
          total_results: 1,
          videos: [
            {
              id: 854222,
              width: 256,
              height: 448,
              duration: 1,
              url: "https://www.pexels.com/video/fractal-zoom-into-colors-854222/",
              image: `${base}/poster.jpg`,
              user: { name: "Ada", url: "https://www.pexels.com/@ada" },
              video_files: [
                { id: 1, quality: "sd", file_type: "video/mp4", width: 64, height: 112, fps: 10, link: `${base}/files/small.mp4` },
                { id: 2, quality: "hd", file_type: "video/mp4", width: 128, height: 224, fps: 10, link: `${base}/files/medium.mp4` },
                { id: 3, quality: "uhd", file_type: "video/mp4", width: 256, height: 448, fps: 10, link: `${base}/files/large.mp4` },
                { id: 4, quality: null, file_type: "application/x-mpegURL", width: null, height: null, fps: null, link: `${base}/hls.m3u8` }
              ]
            }
          ]
        })
      }
      const clip = clips[url.pathname]
      if (clip === undefined) return { status: 404 }
      return { status: 200, headers: { "content-type": "video/mp4" }, body: readFileSync(clip) }
    }),
    (server) => ({
      url: server.url,
      get hits(): Array<Hit> {
        return server.requests.map((r) => ({
          path: r.url.pathname,
          params: Object.fromEntries(r.url.searchParams),
          authorization: r.headers.authorization
        }))
      }
    })
  )

describe("Pexels provider against a loopback fake", () => {
  it.scoped("searches with the key and orientation, downloads the best-fitting file once, and the folder index sees it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const medium = join(dir, "medium.mp4")
      yield* runFfmpeg({
        args: ["-f", "lavfi", "-i", "testsrc2=s=128x224:r=10:d=1", "-pix_fmt", "yuv420p", "-c:v", "libx264"],
        output: medium
      })
      const fake = yield* fakePexels({ "/files/medium.mp4": medium })
      const provider = pexels({ apiKey: "pexels-key", baseUrl: fake.url, cacheDir: join(dir, "cache") })

      const found = yield* provider.search({ query: "fractal zoom", orientation: "portrait", perPage: 5 })
      expect(fake.hits[0]).toEqual({
        path: "/videos/search",
        params: { query: "fractal zoom", per_page: "5", orientation: "portrait" },
        authorization: "pexels-key"
      })
      expect(found).toHaveLength(1)
      expect(found[0]!.files.map((f) => f.id)).toEqual(["1", "2", "3"])
      expect(found[0]!.tags).toEqual(expect.arrayContaining(["fractal", "zoom", "colors"]))

      const clip = yield* provider.download(found[0]!, { width: 96, height: 160 })
      expect(fake.hits.map((h) => h.path)).toEqual(["/videos/search", "/files/medium.mp4"])
      expect(fake.hits[1]!.authorization).toBeUndefined()
      expect(clip).toMatchObject({ width: 128, height: 224, orientation: "portrait", cached: false, kind: "video" })
      expect(clip.sizeBytes).toBe(readFileSync(medium).length)

      const again = yield* provider.download(found[0]!, { width: 96, height: 160 })
      expect(again.cached).toBe(true)
      expect(fake.hits).toHaveLength(2)

      const index = yield* indexFolder(join(dir, "cache"))
      expect(index.clips.map((c) => c.path)).toEqual([clip.path])
      expect(index.clips[0]!.tags).toEqual(expect.arrayContaining(["fractal", "zoom"]))
      expect(index.clips[0]!.description).toContain("Ada")
    }))

  it.scoped("a refused key and a broken download are typed errors that leave no file behind", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const fake = yield* fakePexels({})
      const wrongKey = yield* Effect.flip(pexels({ apiKey: "nope", baseUrl: fake.url, cacheDir: dir }).search({ query: "life" }))
      expect(wrongKey).toMatchObject({ _tag: "FootageError", reason: "http" })
      expect(wrongKey.message).toContain("401")

      const provider = pexels({ apiKey: "pexels-key", baseUrl: fake.url, cacheDir: join(dir, "cache") })
      const [video] = yield* provider.search({ query: "life" })
      const missing = yield* Effect.flip(provider.download(video!, { width: 96, height: 160 }))
      expect(missing.message).toContain("854222")
      const index = yield* indexFolder(join(dir, "cache"))
      expect(index.clips).toHaveLength(0)
    }))
})

describe("Pexels provider over a flaky network", () => {
  it.live("a 503 is retried; a refused key is asked once, not retried", () =>
    Effect.scoped(
      Effect.gen(function*() {
        const dir = yield* tempDir
        const medium = join(dir, "medium.mp4")
        yield* runFfmpeg({
          args: ["-f", "lavfi", "-i", "testsrc2=s=128x224:r=10:d=1", "-pix_fmt", "yuv420p", "-c:v", "libx264"],
          output: medium
        })
        const busy = yield* fakePexels({ "/files/medium.mp4": medium }, { unavailable: 1 })
        const provider = pexels({ apiKey: "pexels-key", baseUrl: busy.url, cacheDir: join(dir, "cache") })
        const [video] = yield* provider.search({ query: "fractal" })
        expect(busy.hits.map((h) => h.path)).toEqual(["/videos/search", "/videos/search"])
        const clip = yield* provider.download(video!, { width: 96, height: 160 })
        expect(clip.sizeBytes).toBe(readFileSync(medium).length)

        const fake = yield* fakePexels({})
        const refused = yield* Effect.flip(pexels({ apiKey: "nope", baseUrl: fake.url, cacheDir: dir }).search({ query: "life" }))
        expect(refused.message).toContain("401")
        expect(fake.hits).toHaveLength(1)
      })
    ))
})

describe("best-fitting rendition", () => {
  it("is the smallest that covers the target, else the largest", () => {
    const files = [
      { id: "a", url: "", width: 640, height: 360 },
      { id: "b", url: "", width: 1920, height: 1080 },
      { id: "c", url: "", width: 3840, height: 2160 }
    ]
    expect(bestFittingFile(files, { width: 1280, height: 720 })?.id).toBe("b")
    expect(bestFittingFile(files, { width: 1080, height: 1920 })?.id).toBe("c")
    expect(bestFittingFile(files, { width: 320, height: 180 })?.id).toBe("a")
    expect(bestFittingFile([], { width: 1, height: 1 })).toBeUndefined()
  })
})
