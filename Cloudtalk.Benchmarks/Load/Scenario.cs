namespace Cloudtalk.Benchmarks.Load;

/// <summary>A named wrk Lua script. Each wrk thread seeds its own random generator.</summary>
public sealed record Scenario(string Name, string LuaScript)
{
    private const string Seeding = """
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("seed", threads)
        end
        function init(args)
          math.randomseed(os.time() * 1000 + seed)
        end
        """;

    private static string IdTable(IEnumerable<long> ids) => "local ids = {" + string.Join(",", ids) + "}";

    // Raw string literals end without a newline: the parts are joined line by line, or "end" runs into the next
    // statement and wrk, on a script error, falls back to GET / (a 404 that would count as a measured request).
    private static string Script(params string[] parts) => string.Join("\n", parts) + "\n";

    private const string PostReviewFunction = """
        local function post_review()
          local body = string.format('{"productId":%d,"firstName":"Bench","lastName":"Mark","reviewText":"Measured under load.","rating":%d}',
            ids[math.random(#ids)], math.random(5))
          return wrk.format("POST", "/api/reviews", { ["Content-Type"] = "application/json" }, body)
        end
        """;

    public static Scenario GetById(IReadOnlyList<long> hotSet) => new("get-by-id (hot 100)",
        Script(Seeding, IdTable(hotSet), """
        request = function()
          return wrk.format("GET", "/api/products/" .. ids[math.random(#ids)])
        end
        """));

    public static Scenario ListPage() => new("list page 1, limit 100",
        Script(Seeding, """
        request = function()
          return wrk.format("GET", "/api/products?page=1&limit=100")
        end
        """));

    public static Scenario ReviewPage(IReadOnlyList<long> products) => new("review page of a product",
        Script(Seeding, IdTable(products), """
        request = function()
          return wrk.format("GET", "/api/products/" .. ids[math.random(#ids)] .. "/reviews")
        end
        """));

    public static Scenario PostReview(IReadOnlyList<long> products) => new("post-review",
        Script(Seeding, IdTable(products), PostReviewFunction, """
        request = post_review
        """));

    public static Scenario Mix(IReadOnlyList<long> products) => new("90/10 read/write mix",
        Script(Seeding, IdTable(products), PostReviewFunction, """
        request = function()
          if math.random(10) == 1 then
            return post_review()
          end
          return wrk.format("GET", "/api/products/" .. ids[math.random(#ids)])
        end
        """));

    public static Scenario Ceiling() => new("ceiling: constant product JSON",
        Script(Seeding, """
        request = function()
          return wrk.format("GET", "/api/products/1")
        end
        """));
}
