using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;

namespace Cloudtalk.Tests.Idempotency;

/// <summary>
/// POST /api/reviews and POST /api/products with an <c>Idempotency-Key</c>: a client that lost an answer sends the
/// request again and gets the first answer, never a second resource, whether the repeat comes after the first
/// finished or while it is still running; the key with another request is a 422; a bad key is a 400; a refused
/// request leaves the key free; a key expires after 24 hours. The database is what is checked.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class IdempotentCreateTests(CloudtalkAppFixture fixture)
{
    private const string KeyHeader = "Idempotency-Key";
    private const string ReplayedHeader = "Idempotent-Replayed";

    private readonly HttpClient _api = fixture.App.CreateApiClient();

    [Fact]
    public async Task A_repeated_review_create_gets_the_first_answer_and_creates_nothing_more()
    {
        var product = (await _api.CreateProductAsync("reviewed with a key")).Id();
        var key = Guid.NewGuid().ToString();
        var body = ReviewBody(product, rating: 4);

        using var first = await PostAsync("/api/reviews", body, key);
        using var repeated = await PostAsync("/api/reviews", body, key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(first.Headers.Contains(ReplayedHeader));
        Assert.Equal(HttpStatusCode.Created, repeated.StatusCode);
        Assert.Equal("true", Assert.Single(repeated.Headers.GetValues(ReplayedHeader)));
        Assert.Equal(first.Headers.Location, repeated.Headers.Location);
        var created = await first.ReadJsonAsync();
        Assert.Equal(created.GetRawText(), (await repeated.ReadJsonAsync()).GetRawText());
        Assert.Equal(1L, await ReviewCountAsync(product));
        Assert.Equal(created.Id(), (await _api.GetJsonAsync($"/api/reviews/{created.Id()}")).Id());
    }

    [Fact]
    public async Task Concurrent_creates_with_one_key_make_one_review_and_all_get_its_answer()
    {
        var product = (await _api.CreateProductAsync("raced with a key")).Id();
        var key = Guid.NewGuid().ToString();
        var body = ReviewBody(product, rating: 2);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await PostAsync("/api/reviews", body, key);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (Id: (await response.ReadJsonAsync()).Id(), Replayed: response.Headers.Contains(ReplayedHeader));
        }));

        Assert.Single(answers.Select(answer => answer.Id).Distinct());
        Assert.Single(answers, answer => !answer.Replayed);
        Assert.Equal(1L, await ReviewCountAsync(product));
    }

    [Fact]
    public async Task A_key_sent_with_another_request_is_a_422_and_creates_nothing()
    {
        var product = (await _api.CreateProductAsync("key reused")).Id();
        var key = Guid.NewGuid().ToString();
        using (var first = await PostAsync("/api/reviews", ReviewBody(product, rating: 5), key))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using (var otherBody = await PostAsync("/api/reviews", ReviewBody(product, rating: 1), key))
        {
            var problem = await otherBody.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
            Assert.Contains(KeyHeader, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var productName = $"key reused on another path {Guid.NewGuid():N}";
        using (var otherPath = await PostAsync("/api/products", JsonSerializer.Serialize(new { name = productName, price = 1 }), key))
        {
            await otherPath.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        }

        Assert.Equal(1L, await ReviewCountAsync(product));
        Assert.Equal(0L, await ProductCountAsync(productName));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public async Task A_malformed_key_is_a_validation_problem_with_the_body_errors_and_creates_nothing(int length)
    {
        var product = (await _api.CreateProductAsync("malformed key")).Id();
        // Empty, or one character over the limit of 255.
        var key = new string('k', length);

        using var response = await PostAsync("/api/reviews", JsonSerializer.Serialize(new { productId = product, firstName = "Ada", rating = 9 }), key);

        await response.AssertValidationErrorsAsync(KeyHeader, "rating");
        Assert.Equal(0L, await ReviewCountAsync(product));
    }

    [Fact]
    public async Task Two_key_header_lines_are_a_validation_problem()
    {
        var product = (await _api.CreateProductAsync("two keys")).Id();
        var body = ReviewBody(product, rating: 3);
        // HttpClient joins repeated values into one line, so the request is written by hand.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_api.BaseAddress!.Host, _api.BaseAddress.Port);
        await using var stream = tcp.GetStream();
        var request = "POST /api/reviews HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
                      $"{KeyHeader}: {Guid.NewGuid()}\r\n{KeyHeader}: {Guid.NewGuid()}\r\n" +
                      $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));

        var response = await new StreamReader(stream, Encoding.UTF8).ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
        Assert.Contains($"\"{KeyHeader}\"", response, StringComparison.Ordinal);
        Assert.Equal(0L, await ReviewCountAsync(product));
    }

    [Fact]
    public async Task A_refused_create_leaves_its_key_free()
    {
        var product = (await _api.CreateProductAsync("refused first")).Id();
        var key = Guid.NewGuid().ToString();
        using (var invalid = await PostAsync("/api/reviews", JsonSerializer.Serialize(new { productId = product, firstName = "Ada", rating = 0 }), key))
        {
            await invalid.AssertValidationErrorsAsync("rating");
        }

        using (var unknownProduct = await PostAsync("/api/reviews", ReviewBody(long.MaxValue, rating: 3), key))
        {
            await unknownProduct.AssertValidationErrorsAsync("productId");
        }

        using var valid = await PostAsync("/api/reviews", ReviewBody(product, rating: 3), key);

        Assert.Equal(HttpStatusCode.Created, valid.StatusCode);
        Assert.False(valid.Headers.Contains(ReplayedHeader));
        Assert.Equal(1L, await ReviewCountAsync(product));
    }

    [Fact]
    public async Task A_repeated_product_create_gets_the_first_answer()
    {
        var name = $"product with a key {Guid.NewGuid():N}";
        var key = Guid.NewGuid().ToString();
        var body = JsonSerializer.Serialize(new { name, description = "once", price = 12.5 });

        using var first = await PostAsync("/api/products", body, key);
        using var repeated = await PostAsync("/api/products", body, key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, repeated.StatusCode);
        Assert.True(repeated.Headers.Contains(ReplayedHeader));
        Assert.Equal(first.Headers.Location, repeated.Headers.Location);
        Assert.Equal((await first.ReadJsonAsync()).GetRawText(), (await repeated.ReadJsonAsync()).GetRawText());
        Assert.Equal(1L, await ProductCountAsync(name));
    }

    [Fact]
    public async Task A_key_older_than_24_hours_starts_a_new_create()
    {
        var product = (await _api.CreateProductAsync("expired key")).Id();
        var key = Guid.NewGuid().ToString();
        var body = ReviewBody(product, rating: 4);
        long firstId;
        using (var first = await PostAsync("/api/reviews", body, key))
        {
            firstId = (await first.ReadJsonAsync()).Id();
        }

        var database = await ApiDatabase.OpenAsync(fixture.App);
        Assert.Equal(1, await database.ExecuteAsync(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1", key));

        using var later = await PostAsync("/api/reviews", body, key);

        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        Assert.False(later.Headers.Contains(ReplayedHeader));
        Assert.NotEqual(firstId, (await later.ReadJsonAsync()).Id());
        Assert.Equal(2L, await ReviewCountAsync(product));
    }

    private static string ReviewBody(long productId, int rating) =>
        JsonSerializer.Serialize(new { productId, firstName = "Ada", lastName = "Lovelace", reviewText = "Sent twice.", rating });

    private async Task<HttpResponseMessage> PostAsync(string path, string json, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(KeyHeader, key);
        return await _api.SendAsync(request);
    }

    private async Task<long> ReviewCountAsync(long productId) =>
        await (await ApiDatabase.OpenAsync(fixture.App)).ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", productId);

    private async Task<long> ProductCountAsync(string name) =>
        await (await ApiDatabase.OpenAsync(fixture.App)).ScalarAsync<long>("SELECT count(*) FROM products WHERE name = $1", name);
}
