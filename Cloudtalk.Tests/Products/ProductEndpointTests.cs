using System.Globalization;
using System.Net;
using System.Text;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Products;

[Collection(CloudtalkCollection.Name)]
public sealed class ProductEndpointTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Create_answers_201_with_lowercase_location_and_the_product()
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/products",
            """{ "name": "  Desk lamp  ", "description": "Warm light", "price": 39.90, "averageRating": 5, "reviewCount": 9, "id": 77 }""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.ContentType()?.MediaType);
        var product = await response.ReadJsonAsync();
        var id = product.Id();
        Assert.True(id > 0);
        Assert.Equal($"/api/products/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("Desk lamp", product.GetProperty("name").GetString());
        Assert.Equal("Warm light", product.GetProperty("description").GetString());
        Assert.Equal(39.9m, product.GetProperty("price").GetDecimal());
        Assert.Equal("39.9", product.GetProperty("price").GetRawText());
        // Server-owned fields sent by the client are ignored.
        Assert.Equal(0, product.GetProperty("averageRating").GetDouble());
        Assert.Equal(0, product.GetProperty("reviewCount").GetInt32());
        var createdAt = product.GetProperty("createdAt").GetString()!;
        Assert.EndsWith("Z", createdAt, StringComparison.Ordinal);
        Assert.Equal(createdAt, product.GetProperty("updatedAt").GetString());

        var read = await _client.GetJsonAsync($"/api/products/{id}");
        Assert.Equal(product.GetRawText(), read.GetRawText());
    }

    [Fact]
    public async Task Create_without_description_answers_null_description()
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/products", """{ "name": "Plain", "price": 0 }""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var product = await response.ReadJsonAsync();
        Assert.Equal(System.Text.Json.JsonValueKind.Null, product.GetProperty("description").ValueKind);
        Assert.Equal(0m, product.GetProperty("price").GetDecimal());
    }

    public static TheoryData<string> ValidBodies => new()
    {
        """{ "name": "a", "price": 0 }""",
        $$"""{ "name": "{{new string('n', 200)}}", "price": 1000000000 }""",
        $$"""{ "name": "  {{new string('n', 200)}}  ", "price": 0.01 }""",
        $$"""{ "name": "x", "price": 10.55, "description": "{{new string('d', 2000)}}" }""",
        """{ "name": "x", "price": 10.5, "description": null }""",
        """{ "name": "x", "price": 10.500 }""",
        """{ "name": "x", "price": 1e3 }""",
    };

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public async Task Create_accepts_values_at_the_bounds(string body)
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/products", body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public static TheoryData<string, string[]> InvalidBodies => new()
    {
        { """{ "price": 1 }""", ["name"] },
        { """{ "name": null, "price": 1 }""", ["name"] },
        { """{ "name": "", "price": 1 }""", ["name"] },
        { """{ "name": "    ", "price": 1 }""", ["name"] },
        { $$"""{ "name": "{{new string('n', 201)}}", "price": 1 }""", ["name"] },
        { """{ "name": 5, "price": 1 }""", ["name"] },
        { $$"""{ "name": "x", "price": 1, "description": "{{new string('d', 2001)}}" }""", ["description"] },
        { """{ "name": "x", "price": 1, "description": 7 }""", ["description"] },
        { """{ "name": "x" }""", ["price"] },
        { """{ "name": "x", "price": null }""", ["price"] },
        { """{ "name": "x", "price": -0.01 }""", ["price"] },
        { """{ "name": "x", "price": 1000000000.01 }""", ["price"] },
        { """{ "name": "x", "price": 10.555 }""", ["price"] },
        { """{ "name": "x", "price": "10.50" }""", ["price"] },
        { """{ "name": "x", "price": 1e400 }""", ["price"] },
        { """{ "name": "x", "price": true }""", ["price"] },
        { """{ }""", ["name", "price"] },
        { $$"""{ "name": 1, "price": "10.50", "description": "{{new string('d', 2001)}}" }""", ["name", "price", "description"] },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Create_reports_every_invalid_field_at_once(string body, string[] fields)
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/products", body);

        await response.AssertValidationErrorsAsync(fields);
    }

    [Fact]
    public async Task Name_length_counts_characters_not_utf16_units()
    {
        // 200 emoji are 400 UTF-16 units but 200 characters.
        var name = string.Concat(Enumerable.Repeat("\U0001F600", 200));
        using var response = await _client.PostJsonAsync("/api/products", new { name, price = 1 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(name, (await response.ReadJsonAsync()).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("{ \"name\": ")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    public async Task Malformed_or_non_object_json_is_a_400_problem(string body)
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/products", body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_over_1_MiB_is_a_413_problem()
    {
        var description = new string('d', 1024 * 1024);
        using var response = await _client.PostJsonAsync("/api/products", new { name = "big", price = 1, description });

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_body_just_under_1_MiB_is_read_and_validated()
    {
        var json = new StringBuilder("""{ "name": "x", "price": 1, "pad": " """);
        json.Append(' ', (1024 * 1024) - json.Length - 3).Append("\" }");
        Assert.Equal(1024 * 1024, Encoding.UTF8.GetByteCount(json.ToString()));

        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/products", json.ToString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Get_unknown_product_is_a_404_problem()
    {
        using var response = await _client.GetAsync("/api/products/999999999");

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task An_id_that_is_not_a_positive_integer_is_a_404_problem_on_every_method(string id)
    {
        using var get = await _client.GetAsync($"/api/products/{id}");
        using var put = await _client.SendJsonAsync(HttpMethod.Put, $"/api/products/{id}", """{ "name": "x" }""");
        using var delete = await _client.DeleteAsync($"/api/products/{id}");
        using var reviews = await _client.GetAsync($"/api/products/{id}/reviews");

        await get.AssertProblemAsync(HttpStatusCode.NotFound);
        await put.AssertProblemAsync(HttpStatusCode.NotFound);
        await delete.AssertProblemAsync(HttpStatusCode.NotFound);
        await reviews.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Unknown_route_is_a_404_problem_and_wrong_method_a_405_problem()
    {
        var product = await _client.CreateProductAsync();

        using var unknown = await _client.GetAsync("/api/nothing-here");
        using var wrongMethod = await _client.SendJsonAsync(HttpMethod.Patch, $"/api/products/{product.Id()}", "{}");
        using var wrongMethodOnList = await _client.DeleteAsync("/api/products");

        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        await wrongMethod.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
        await wrongMethodOnList.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    /// <summary>
    /// ASP.NET Core's problem writer declines a request whose Accept header names no JSON type; the Api has no other
    /// representation, so such a client gets the same problem+json as any other, for every kind of error.
    /// </summary>
    [Theory]
    [InlineData("text/html")]
    [InlineData("application/xml")]
    [InlineData("text/plain;q=0.9, image/png")]
    public async Task Errors_are_problem_json_whatever_the_accept_header_names(string accept)
    {
        var product = await _client.CreateProductAsync();
        var requests = new (HttpMethod Method, string Url, string? Body, HttpStatusCode Status)[]
        {
            (HttpMethod.Get, "/api/nothing-here", null, HttpStatusCode.NotFound),
            (HttpMethod.Delete, "/api/products", null, HttpStatusCode.MethodNotAllowed),
            (HttpMethod.Get, "/api/products/999999999", null, HttpStatusCode.NotFound),
            (HttpMethod.Get, "/api/products?limit=0", null, HttpStatusCode.BadRequest),
            (HttpMethod.Post, "/api/products", "{ not json", HttpStatusCode.BadRequest),
            (HttpMethod.Put, $"/api/products/{product.Id()}", """{ "price": -1 }""", HttpStatusCode.BadRequest),
        };

        foreach (var (method, url, body, status) in requests)
        {
            using var plain = await SendAsync(method, url, body, accept: null);
            using var picky = await SendAsync(method, url, body, accept);
            var expected = await plain.AssertProblemAsync(status);
            var problem = await picky.AssertProblemAsync(status);
            foreach (var member in new[] { "type", "title", "status", "detail", "errors" })
            {
                Assert.Equal(expected.TryGetProperty(member, out var a) ? a.GetRawText() : null,
                    problem.TryGetProperty(member, out var b) ? b.GetRawText() : null);
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? body, string? accept)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task Put_changes_sent_fields_keeps_omitted_ones_and_clears_null_optional_ones()
    {
        var product = await _client.CreateProductAsync("Lamp", 10m, "Warm");
        var id = product.Id();

        using var renamed = await _client.SendJsonAsync(HttpMethod.Put, $"/api/products/{id}", """{ "name": " Lamp 2 " }""");
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var afterRename = await renamed.ReadJsonAsync();
        Assert.Equal("Lamp 2", afterRename.GetProperty("name").GetString());
        Assert.Equal("Warm", afterRename.GetProperty("description").GetString());
        Assert.Equal(10m, afterRename.GetProperty("price").GetDecimal());
        Assert.Equal(product.GetProperty("createdAt").GetString(), afterRename.GetProperty("createdAt").GetString());
        Assert.True(DateTime.Parse(afterRename.GetProperty("updatedAt").GetString()!, CultureInfo.InvariantCulture)
            >= DateTime.Parse(product.GetProperty("updatedAt").GetString()!, CultureInfo.InvariantCulture));

        using var cleared = await _client.SendJsonAsync(HttpMethod.Put, $"/api/products/{id}", """{ "description": null, "price": 12.25 }""");
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);

        var read = await _client.GetJsonAsync($"/api/products/{id}");
        Assert.Equal("Lamp 2", read.GetProperty("name").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, read.GetProperty("description").ValueKind);
        Assert.Equal(12.25m, read.GetProperty("price").GetDecimal());
    }

    public static TheoryData<string, string[]> InvalidUpdates => new()
    {
        { """{ "name": null }""", ["name"] },
        { """{ "price": null }""", ["price"] },
        { """{ "name": "   " }""", ["name"] },
        { """{ "price": "1" }""", ["price"] },
        { """{ "price": 1000000000.01, "name": 3, "description": false }""", ["price", "name", "description"] },
    };

    [Theory]
    [MemberData(nameof(InvalidUpdates))]
    public async Task Put_reports_invalid_fields_and_changes_nothing(string body, string[] fields)
    {
        var product = await _client.CreateProductAsync();

        using var response = await _client.SendJsonAsync(HttpMethod.Put, $"/api/products/{product.Id()}", body);

        await response.AssertValidationErrorsAsync(fields);
        var read = await _client.GetJsonAsync($"/api/products/{product.Id()}");
        Assert.Equal(product.GetRawText(), read.GetRawText());
    }

    [Fact]
    public async Task Put_unknown_product_is_a_404_problem()
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Put, "/api/products/999999999", """{ "name": "x" }""");

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_answers_204_then_404_and_takes_the_reviews_with_it()
    {
        var product = await _client.CreateProductAsync();
        var review = await _client.CreateReviewAsync(product.Id());

        using var deleted = await _client.DeleteAsync($"/api/products/{product.Id()}");
        using var again = await _client.DeleteAsync($"/api/products/{product.Id()}");
        using var read = await _client.GetAsync($"/api/products/{product.Id()}");
        using var reviewRead = await _client.GetAsync($"/api/reviews/{review.Id()}");
        using var reviewPage = await _client.GetAsync($"/api/products/{product.Id()}/reviews");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await again.AssertProblemAsync(HttpStatusCode.NotFound);
        await read.AssertProblemAsync(HttpStatusCode.NotFound);
        await reviewRead.AssertProblemAsync(HttpStatusCode.NotFound);
        await reviewPage.AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
