using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// A bounded fuzz over every endpoint: only 2xx and 4xx answers, every 4xx a problem that gives nothing away,
/// a rejected write changes nothing, and the Api stays healthy. The seed is in every failure message; set
/// CLOUDTALK_FUZZ_SEED to replay it (or to explore another sequence).
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class HostileInputTests(CloudtalkAppFixture fixture)
{
    private const int DefaultSeed = 20261125;
    private const int RequestCount = 400;

    // What an error answer must never carry: stack frames, exception types, connection-string fragments.
    private static readonly string[] Leaks = ["   at ", "Exception", "Password=", "Host=", "Username=", "Npgsql", "StackExchange", "amqp://"];

    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Hostile_requests_get_only_2xx_or_4xx_problems_and_rejected_writes_change_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CLOUDTALK_FUZZ_SEED"), CultureInfo.InvariantCulture, out var chosen)
            ? chosen
            : DefaultSeed;
        var product = await _client.CreateProductAsync("fuzz target", 10m);
        var reviewed = await _client.CreateProductAsync("fuzz reviewed", 20m);
        var review = await _client.CreateReviewAsync(reviewed.Id(), rating: 4);
        var requests = new HostileRequests(new Random(seed), product.Id(), review.Id(), reviewed.Id());

        var state = await SnapshotAsync(product.Id(), review.Id(), reviewed.Id());
        var statuses = new Dictionary<int, int>();
        var previous = "nothing";
        for (var index = 0; index < RequestCount; index++)
        {
            var request = requests.Next();
            var context = $"Seed {seed}, request {index}: {request.Description} (after: {previous})";
            previous = request.Description;
            using var response = await SendAsync(request, context);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(status is (>= 200 and < 300) or (>= 400 and < 500), $"{context} answered {status}: {body}");
            response.AssertSecurityHeaders();
            if (status >= 400)
            {
                Assert.True(response.MediaType() == "application/problem+json",
                    $"{context} answered {status} as {response.MediaType() ?? "no content type"}: {body}");
                Assert.Contains($"\"status\":{status}", body, StringComparison.Ordinal);
                foreach (var leak in Leaks)
                {
                    Assert.False(body.Contains(leak, StringComparison.OrdinalIgnoreCase), $"{context} answered {status} with '{leak}': {body}");
                }
            }

            if (request.IsWrite)
            {
                var after = await SnapshotAsync(product.Id(), review.Id(), reviewed.Id());
                if (status >= 400)
                {
                    Assert.True(state == after, $"{context} was refused ({status}) but changed\n{state}\ninto\n{after}");
                }

                state = after;
            }
        }

        // The run exercised both outcomes, rejections of every kind and some accepted writes.
        Assert.Contains(400, statuses.Keys);
        Assert.Contains(404, statuses.Keys);
        Assert.Contains(413, statuses.Keys);
        using var health = await _client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", (await health.ReadJsonAsync()).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("GET", "/api/products/%00")]
    [InlineData("DELETE", "/api/reviews/1%00")]
    public async Task An_encoded_NUL_in_the_path_is_refused_by_Kestrel_with_a_bare_400(string method, string url)
    {
        // Kestrel rejects the request line itself, before any middleware: no problem body and none of the Api's
        // headers are possible there, but the answer is a 400 that says nothing and the Api stays healthy.
        using var response = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Server"));
        using var health = await _client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>Cases the fuzz found or that are worth keeping on their own (regressions).</summary>
    [Theory]
    [InlineData("POST", "/api/products", """{ "name": "nul\u0000inside", "price": 1 }""")]
    [InlineData("POST", "/api/products", """{ "name": "x", "description": "\u0000", "price": 1 }""")]
    [InlineData("POST", "/api/products", """{ "name": "\ud800", "price": 1 }""")]
    [InlineData("POST", "/api/products", """{ "name": "x\udfffy", "price": 1 }""")]
    [InlineData("PUT", "/api/products/{product}", """{ "name": "nul\u0000inside" }""")]
    [InlineData("PUT", "/api/products/{product}", """{ "description": "\ud800" }""")]
    [InlineData("POST", "/api/reviews", """{ "productId": {product}, "firstName": "A\u0000", "rating": 4 }""")]
    [InlineData("POST", "/api/reviews", """{ "productId": {product}, "firstName": "Ada", "reviewText": "\ud800", "rating": 4 }""")]
    [InlineData("PUT", "/api/reviews/{review}", """{ "lastName": "\u0000" }""")]
    [InlineData("PUT", "/api/reviews/{review}", """{ "firstName": "\udbff" }""")]
    public async Task Text_with_NUL_or_a_lone_surrogate_is_a_400_on_its_field_and_changes_nothing(string method, string url, string body)
    {
        var (product, review, fill) = await RegressionTargetAsync();
        var productBefore = (await _client.GetJsonAsync($"/api/products/{product.Id()}")).GetProperty("name").GetRawText() +
            (await _client.GetJsonAsync($"/api/products/{product.Id()}")).GetProperty("description").GetRawText();
        var reviewBefore = (await _client.GetJsonAsync($"/api/reviews/{review.Id()}")).GetRawText();

        using var response = await _client.SendJsonAsync(new HttpMethod(method), fill(url), fill(body));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("errors", out var errors), problem.GetRawText());
        Assert.Single(errors.EnumerateObject());
        Assert.Equal(productBefore, (await _client.GetJsonAsync($"/api/products/{product.Id()}")).GetProperty("name").GetRawText() +
            (await _client.GetJsonAsync($"/api/products/{product.Id()}")).GetProperty("description").GetRawText());
        Assert.Equal(reviewBefore, (await _client.GetJsonAsync($"/api/reviews/{review.Id()}")).GetRawText());
        Assert.Equal(1, (await _client.GetJsonAsync($"/api/products/{product.Id()}/reviews")).GetProperty("totalItems").GetInt64());
    }

    /// <summary>
    /// System.Text.Json parses an escaped lone surrogate in a property name, and throws only when a property is
    /// looked up by name: such a body must be a 400, not a 500, wherever the name stands.
    /// </summary>
    [Theory]
    [InlineData("POST", "/api/products", """{ "\udc00": 1 }""")]
    [InlineData("POST", "/api/products", """{ "\udc00\udc00": 1, "name": "x", "price": 1 }""")]
    [InlineData("POST", "/api/products", """{ "name": "x", "price": 1, "\ud800\ud800\ud800": 1 }""")]
    [InlineData("PUT", "/api/products/{product}", """{ "\udc00\udc00": 1, "name": "renamed" }""")]
    [InlineData("POST", "/api/reviews", """{ "productId": {product}, "firstName": "Ada", "rating": 4, "\udc00\udc00\udc00\udc00": 1 }""")]
    [InlineData("PUT", "/api/reviews/{review}", """{ "\udbff\udbff\udbff\udbff\udbff\udbff": 1, "rating": 1 }""")]
    public async Task A_property_name_with_a_lone_surrogate_is_a_400_and_changes_nothing(string method, string url, string body)
    {
        var (product, review, fill) = await RegressionTargetAsync();
        // The product's own fields: its rating follows the review asynchronously.
        async Task<string> ProductFieldsAsync()
        {
            var served = await _client.GetJsonAsync($"/api/products/{product.Id()}");
            return $"{served.GetProperty("name")}|{served.GetProperty("description")}|{served.GetProperty("price")}";
        }

        var productBefore = await ProductFieldsAsync();
        var reviewBefore = (await _client.GetJsonAsync($"/api/reviews/{review.Id()}")).GetRawText();
        var productsBefore = (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt64();

        using var response = await _client.SendJsonAsync(new HttpMethod(method), fill(url), fill(body));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("Malformed JSON", problem.GetProperty("title").GetString());
        Assert.Equal(productBefore, await ProductFieldsAsync());
        Assert.Equal(reviewBefore, (await _client.GetJsonAsync($"/api/reviews/{review.Id()}")).GetRawText());
        Assert.Equal(1, (await _client.GetJsonAsync($"/api/products/{product.Id()}/reviews")).GetProperty("totalItems").GetInt64());
        Assert.Equal(productsBefore, (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt64());
    }

    /// <summary>A product with one review for a regression case, and a filler of their ids into its URL and body.</summary>
    private async Task<(JsonElement Product, JsonElement Review, Func<string, string> Fill)> RegressionTargetAsync()
    {
        var product = await _client.CreateProductAsync("regression target");
        var review = await _client.CreateReviewAsync(product.Id());
        return (product, review, text => text
            .Replace("{product}", product.Id().ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{review}", review.Id().ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    private async Task<HttpResponseMessage> SendAsync(HostileRequest request, string context)
    {
        using var message = new HttpRequestMessage(request.Method, request.Url);
        if (request.Body is not null)
        {
            // A stream of unknown length goes out chunked, so the Api cannot refuse it by Content-Length alone.
            HttpContent content = request.Chunked
                ? new StreamContent(new UnknownLengthStream(request.Body))
                : new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
            }

            message.Content = content;

            // Over the limit, ask before sending (Expect: 100-continue), as a careful client would: Kestrel answers
            // 413 from the Content-Length alone and then closes the connection, so a client still busy sending
            // a megabyte may see that close before it reads the 413 (a race in HTTP/1.1, not an Api answer).
            // The connection is not reused afterwards either, since Kestrel closes it.
            message.Headers.ExpectContinue = request.Body.Length > HostileRequests.OneMiB;
            message.Headers.ConnectionClose = request.Body.Length > HostileRequests.OneMiB;
        }

        try
        {
            return await _client.SendAsync(message);
        }
        catch (HttpRequestException exception)
        {
            Assert.Fail($"{context} got no answer: {exception.Message} {exception.InnerException?.Message}");
            throw;
        }
    }

    /// <summary>Everything a rejected write could have changed, as the Api serves it.</summary>
    private async Task<string> SnapshotAsync(long productId, long reviewId, long reviewedProductId)
    {
        var text = new StringBuilder();
        // The unreviewed product in full; the reviewed one's rating fields follow events asynchronously, so its
        // reviews (the source of those fields) stand for it.
        text.AppendLine((await _client.GetJsonAsync($"/api/products/{productId}")).GetRawText());
        text.AppendLine((await _client.GetJsonAsync($"/api/reviews/{reviewId}")).GetRawText());
        text.AppendLine((await _client.GetJsonAsync($"/api/products/{reviewedProductId}/reviews")).GetRawText());
        text.AppendLine((await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetRawText());
        return text.ToString();
    }

    /// <summary>A read-only stream that does not tell its length.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
