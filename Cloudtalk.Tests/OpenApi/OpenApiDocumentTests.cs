using System.Net;
using System.Text.Json;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.OpenApi;

[Collection(CloudtalkCollection.Name)]
public sealed class OpenApiDocumentTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    public static TheoryData<string, string, string[]> Operations => new()
    {
        { "/api/products", "post", ["201", "400", "413", "422"] },
        { "/api/products", "get", ["200", "400"] },
        { "/api/products/{id}", "get", ["200", "404"] },
        { "/api/products/{id}", "put", ["200", "400", "404", "413"] },
        { "/api/products/{id}", "delete", ["204", "404"] },
        { "/api/products/{id}/reviews", "get", ["200", "400", "404"] },
        { "/api/reviews", "post", ["201", "400", "413", "422"] },
        { "/api/reviews/{id}", "get", ["200", "404"] },
        { "/api/reviews/{id}", "put", ["200", "400", "404", "413"] },
        { "/api/reviews/{id}", "delete", ["204", "404"] },
        { "/api/operations/rating-sources", "get", ["200", "400", "401"] },
        { "/api/operations/rating-reconciliation", "get", ["200", "401"] },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task The_document_describes_every_endpoint_with_its_answers(string path, string method, string[] statuses)
    {
        var document = await ReadDocumentAsync();

        var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()));
        var responses = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToList();
        Assert.All(statuses, status => Assert.Contains(status, responses));
        foreach (var status in statuses.Where(s => s[0] is '4'))
        {
            Assert.True(operation.GetProperty("responses").GetProperty(status).GetProperty("content")
                .TryGetProperty("application/problem+json", out _), $"{method} {path} {status} is not a problem");
        }

        if (method is "post" or "put")
        {
            Assert.True(operation.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        }
    }

    [Theory]
    [InlineData("/api/products")]
    [InlineData("/api/reviews")]
    public async Task A_create_documents_its_optional_idempotency_key_header(string path)
    {
        var document = await ReadDocumentAsync();

        var parameter = Assert.Single(document.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("parameters")
            .EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.Equal("header", parameter.GetProperty("in").GetString());
        Assert.False(parameter.TryGetProperty("required", out var required) && required.GetBoolean());
        Assert.Contains("422", parameter.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_document_has_the_schemas_and_the_paging_parameters()
    {
        var document = await ReadDocumentAsync();

        var schemas = document.GetProperty("components").GetProperty("schemas");
        foreach (var schema in new[] { "ProductRequest", "ProductResponse", "ReviewRequest", "ReviewResponse" })
        {
            Assert.True(schemas.TryGetProperty(schema, out _), schema);
        }

        var parameters = document.GetProperty("paths").GetProperty("/api/products").GetProperty("get").GetProperty("parameters")
            .EnumerateArray().ToList();
        Assert.Equal(["page", "limit"], parameters.Select(p => p.GetProperty("name").GetString()));
        Assert.All(parameters, p => Assert.Equal("integer", p.GetProperty("schema").GetProperty("type").GetString()));
        var price = schemas.GetProperty("ProductResponse").GetProperty("properties").GetProperty("price");
        Assert.Equal("number", price.GetProperty("type").GetString());
        Assert.True(schemas.GetProperty("ProductRequest").TryGetProperty("examples", out _));
    }

    [Fact]
    public async Task The_reference_page_is_served_in_development()
    {
        using var response = await _client.GetAsync("/scalar/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<JsonElement> ReadDocumentAsync()
    {
        using var response = await _client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "cloudtalk-openapi-v1.json"), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
