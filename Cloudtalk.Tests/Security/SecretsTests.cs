using System.Net;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// The generated passwords of PostgreSQL, Redis and RabbitMQ, and the operations key, never show in the services' logs (startup, normal
/// traffic, errors, a Redis outage) nor in any answer (health, problems, the OpenAPI document, the reference page).
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class SecretsTests(CloudtalkAppFixture fixture)
{
    private static readonly TimeSpan RecoveryWait = TimeSpan.FromSeconds(30);
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Generated_passwords_never_appear_in_logs_or_answers()
    {
        var secrets = await GeneratedSecrets.ReadAsync(fixture.App);
        using var logs = ResourceLogs.Watch(fixture.App, "api", "rating");
        var answers = new List<string>();

        async Task Collect(HttpClient client, HttpMethod method, string url, string? body = null)
        {
            using var request = new HttpRequestMessage(method, url);
            if (body is not null)
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await client.SendAsync(request);
            answers.Add($"{method} {url} {(int)response.StatusCode} {response.Headers} {response.Content.Headers}\n" +
                await response.Content.ReadAsStringAsync());
        }

        // Normal traffic, and every kind of error answer.
        var product = await _client.CreateProductAsync("secrets");
        var review = await _client.CreateReviewAsync(product.Id());
        using var rating = fixture.App.CreateClient("rating");
        foreach (var (method, url, body) in new (HttpMethod, string, string?)[]
                 {
                     (HttpMethod.Get, "/health", null), (HttpMethod.Get, "/alive", null),
                     (HttpMethod.Get, "/openapi/v1.json", null), (HttpMethod.Get, "/scalar/v1", null),
                     (HttpMethod.Get, $"/api/products/{product.Id()}", null), (HttpMethod.Get, "/api/products?limit=5", null),
                     (HttpMethod.Put, $"/api/reviews/{review.Id()}", """{ "rating": 2 }"""),
                     (HttpMethod.Get, "/api/products/0", null), (HttpMethod.Get, "/nowhere", null),
                     (HttpMethod.Patch, "/api/products/1", "{}"), (HttpMethod.Post, "/api/products", "{ broken"),
                     (HttpMethod.Post, "/api/products", """{ "name": "\u0000", "price": 1e309 }"""),
                     (HttpMethod.Post, "/api/reviews", """{ "productId": 9223372036854775807, "firstName": "A", "rating": 3 }"""),
                     (HttpMethod.Get, "/api/products?page=abc", null),
                 })
        {
            await Collect(_client, method, url, body);
        }

        await Collect(rating, HttpMethod.Get, "/health");
        await Collect(rating, HttpMethod.Get, "/alive");

        // A Redis outage: the Api logs its trouble reaching Redis, and answers while it is down.
        var faults = new SystemFaults(fixture.App);
        await faults.StopAsync("redis");
        try
        {
            await Collect(_client, HttpMethod.Get, $"/api/products/{product.Id()}");
            await Collect(_client, HttpMethod.Put, $"/api/products/{product.Id()}", """{ "name": "during outage" }""");
            await Collect(_client, HttpMethod.Get, "/health");
        }
        finally
        {
            await faults.EnsureRunningAsync("redis");
        }

        var deadline = DateTime.UtcNow + RecoveryWait;
        while ((await _client.GetJsonAsync("/health")).GetProperty("status").GetString() != "Healthy")
        {
            Assert.True(DateTime.UtcNow < deadline, "The Api did not report Healthy within 30 s of Redis coming back.");
            await Task.Delay(200);
        }

        await Collect(_client, HttpMethod.Get, "/health");
        var lines = logs.Lines;

        // The watch saw the services' startup (kept by Aspire from before it began) and the outage.
        Assert.Contains(lines, line => line.StartsWith("api: ", StringComparison.Ordinal) && line.Contains("Now listening on", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("rating: ", StringComparison.Ordinal) && line.Contains("Now listening on", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Redis unavailable", StringComparison.Ordinal));
        logs.AssertNoStackTrace();
        foreach (var (name, secret) in secrets)
        {
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
            Assert.False(answers.Any(answer => answer.Contains(secret, StringComparison.Ordinal)), $"An answer contains the {name} password.");
        }
    }
}
