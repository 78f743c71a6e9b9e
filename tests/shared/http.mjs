// What both Node suites make of a REST response: the status and headers, the
// body as text, and the body as JSON when it is JSON (errors often are not).

/** Reads a fetch Response into {status, headers, text, json}; json is undefined for a non-JSON body. */
export async function readResponse(res) {
    const text = await res.text();
    let json;
    try {
        json = text ? JSON.parse(text) : undefined;
    } catch {
        json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
}
