using System.Globalization;
using System.Net;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// Over its write budget a client gets 429 problems with Retry-After, the rejected writes change nothing,
/// and reads go on. One test on purpose: the budget is shared by everything this system's client writes.
/// </summary>
[Collection(LowWriteLimitCollection.Name)]
public sealed class WriteRateLimitTests(LowWriteLimitFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Writes_over_the_limit_are_429_problems_with_retry_after_that_change_nothing_and_reads_stay_open()
    {
        // The whole budget: two products (one reviewed), a review, and updates until it is spent. The snapshot
        // compares the unreviewed product in full; the reviewed one's rating fields follow events asynchronously.
        var product = await _client.CreateProductAsync("limited");
        var id = product.Id();
        var reviewed = await _client.CreateProductAsync("limited, reviewed");
        var review = await _client.CreateReviewAsync(reviewed.Id(), rating: 3);
        for (var write = 3; write < LowWriteLimitFixture.PermitLimit; write++)
        {
            using var put = await _client.PutJsonAsync($"/api/products/{id}", new { name = $"limited {write}" });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var productBefore = (await _client.GetJsonAsync($"/api/products/{id}")).GetRawText();
        var reviewBefore = (await _client.GetJsonAsync($"/api/reviews/{review.Id()}")).GetRawText();
        var totalBefore = (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt64();

        var rejectedWrites = new List<(HttpMethod Method, string Url, string? Body)>
        {
            (HttpMethod.Post, "/api/products", """{ "name": "rejected", "price": 1 }"""),
            (HttpMethod.Put, $"/api/products/{id}", """{ "name": "rejected" }"""),
            (HttpMethod.Delete, $"/api/products/{id}", null),
            (HttpMethod.Post, "/api/reviews", $$"""{ "productId": {{reviewed.Id()}}, "firstName": "Rejected", "rating": 1 }"""),
            (HttpMethod.Delete, $"/api/products/{reviewed.Id()}", null),
            (HttpMethod.Put, $"/api/reviews/{review.Id()}", """{ "rating": 1 }"""),
            (HttpMethod.Delete, $"/api/reviews/{review.Id()}", null),
            // Invalid writes count too: they cost the Api work all the same.
            (HttpMethod.Post, "/api/products", "{ not json"),
        };
        foreach (var (index, (method, url, body)) in rejectedWrites.Index())
        {
            using var request = new HttpRequestMessage(method, url);
            if (body is not null)
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            }

            // A client that names no JSON type in Accept gets the same 429 problem (it once got a 500).
            if (index % 2 == 1)
            {
                request.Headers.TryAddWithoutValidation("Accept", "text/html");
            }

            using var response = await _client.SendAsync(request);
            var problem = await response.AssertProblemAsync(HttpStatusCode.TooManyRequests);
            Assert.Contains("Too many", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
            var retryAfter = Assert.Single(response.Headers.GetValues("Retry-After"));
            var seconds = int.Parse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture);
            Assert.InRange(seconds, 1, LowWriteLimitFixture.WindowSeconds);
            response.AssertSecurityHeaders();
        }

        // Nothing the rejected writes asked for happened.
        Assert.Equal(productBefore, (await _client.GetJsonAsync($"/api/products/{id}")).GetRawText());
        Assert.Equal(reviewBefore, (await _client.GetJsonAsync($"/api/reviews/{review.Id()}")).GetRawText());
        Assert.Equal(totalBefore, (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt64());
        Assert.Equal(1, (await _client.GetJsonAsync($"/api/products/{reviewed.Id()}/reviews")).GetProperty("totalItems").GetInt64());

        // Reads are not limited, far beyond the write budget.
        for (var read = 0; read < 20 * LowWriteLimitFixture.PermitLimit; read++)
        {
            using var response = await _client.GetAsync(read % 2 == 0 ? $"/api/products/{id}" : "/api/products?limit=10");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var health = await _client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}

/// <summary>In Development (the tests' and the benchmark's Api) writes are not limited by default.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class DevelopmentWriteLimitTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Development_default_does_not_limit_writes_beyond_the_production_budget()
    {
        var id = (await _client.CreateProductAsync("unlimited in development")).Id();

        // More writes than the production default allows a client per window (300 per 10 s).
        for (var write = 0; write < 320; write++)
        {
            using var put = await _client.PutJsonAsync($"/api/products/{id}", new { price = write });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal(319m, (await _client.GetJsonAsync($"/api/products/{id}")).GetProperty("price").GetDecimal());
    }
}
