// Test-only TLS material (never used outside these tests): a CA, a server certificate for 127.0.0.1 and
// a client certificate signed by it, and an unrelated CA. ECDSA P-256, valid for 100 years, generated with openssl.
enum TLSFixtures {
    static let caCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBejCCASGgAwIBAgIUMaxHu69Uf4S5N1V6n+xjANh8KcgwCgYIKoZIzj0EAwIw
        EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjExMjgyMTU1MjNaGA8yMTI2MTEwNDIx
        NTUyM1owEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
        A0IABOJIbOKpOguEZNxjjJbo/NHFfrsDw6qLtbV3eiJKPQybmxQYK8UO/bGJ/ysi
        oKORoANLFood2Oa2IbK3sUjuKd2jUzBRMB0GA1UdDgQWBBTQ/5K/mi5ITDlDg8Eu
        YF3CaDi+nTAfBgNVHSMEGDAWgBTQ/5K/mi5ITDlDg8EuYF3CaDi+nTAPBgNVHRMB
        Af8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIHPoZiLgbPxprHL3YZPedM5aCEYH
        vNe+iq5w5QrQN2Y1AiAVZsUEwx/v9YjJBNGhZ1mMrmUzqDDKzoerpF/WrmZptQ==
        -----END CERTIFICATE-----
        """

    static let serverCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBnTCCAUOgAwIBAgIUH5bwMtcm/gdjPRJiMEGNpmCTmCIwCgYIKoZIzj0EAwIw
        EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjExMjgyMTU1MjRaGA8yMTI2MTEwNDIx
        NTUyNFowFDESMBAGA1UEAwwJMTI3LjAuMC4xMFkwEwYHKoZIzj0CAQYIKoZIzj0D
        AQcDQgAEHZftXT+BUAlPO3qRpkftBpvPdwbK0AXxYRfT3laHyf0jbPvF7KK6TnZu
        THFVit2FDn0kc66n+NaQ6U/ozCCxaqNzMHEwGgYDVR0RBBMwEYcEfwAAAYIJbG9j
        YWxob3N0MBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBTA3YEWJLPdjc+J
        tLmtCNdJ0lLkCTAfBgNVHSMEGDAWgBTQ/5K/mi5ITDlDg8EuYF3CaDi+nTAKBggq
        hkjOPQQDAgNIADBFAiBkMC/tkxM7gvgXo6ioJMEd81cy0v+SgdsqHsnoFzDO+wIh
        AMULeN0TyfBc4tP7cbMX3Rl2Nvkt8FZhVZ2fmzge045m
        -----END CERTIFICATE-----
        """

    static let serverKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgRlzhbeFh2Lm1SwSk
        UFG9pavTHGpicC54V0rAznDfppyhRANCAAQdl+1dP4FQCU87epGmR+0Gm893BsrQ
        BfFhF9PeVofJ/SNs+8XsorpOdm5McVWK3YUOfSRzrqf41pDpT+jMILFq
        -----END PRIVATE KEY-----
        """

    static let clientCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBqDCCAU6gAwIBAgIUH5bwMtcm/gdjPRJiMEGNpmCTmCMwCgYIKoZIzj0EAwIw
        EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjExMjgyMTU1MjRaGA8yMTI2MTEwNDIx
        NTUyNFowOzEqMCgGA1UEAwwhZ2FyZGVuZXItZXh0ZW5zaW9uLXJ1bnRpbWUtZ3Zp
        c29yMQ0wCwYDVQQKDAR0ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIt9R
        Sa/L/OVeqOaUJ5+pYhOz5dmlI7ESWA5iV+wV1Mj5TEsQq5PqrxGtqAbYjDVFD8bC
        iSqCs4kusD1WabzBcqNXMFUwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0OBBYE
        FIKsBudt15A4wGiufBWqdPH5eIloMB8GA1UdIwQYMBaAFND/kr+aLkhMOUODwS5g
        XcJoOL6dMAoGCCqGSM49BAMCA0gAMEUCIQDq1uJEU1CgEyVpNiZ7kcRS5l0oWZSV
        beYZx0boWg8vegIgFw+mxPXy1yTZhcLEY8WK6yp63dvOXQOJT4+52/FZ4+o=
        -----END CERTIFICATE-----
        """

    static let clientKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7H24blQGRa3GpEOF
        YmdrPpXzetYqWId0QKaTWdtSOvKhRANCAAQi31FJr8v85V6o5pQnn6liE7Pl2aUj
        sRJYDmJX7BXUyPlMSxCrk+qvEa2oBtiMNUUPxsKJKoKziS6wPVZpvMFy
        -----END PRIVATE KEY-----
        """

    static let otherCACertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBfTCCASOgAwIBAgIUHa/b77w/UGJRMnyzcZ8a0FIT0vgwCgYIKoZIzj0EAwIw
        EzERMA8GA1UEAwwIb3RoZXItY2EwIBcNMjYxMTI4MjE1NTI1WhgPMjEyNjExMDQy
        MTU1MjVaMBMxETAPBgNVBAMMCG90aGVyLWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0D
        AQcDQgAExotjXRrTFviZd4MjnGKXTofWgyqGWQf++Fo0olO1PXgoafeeOVfZPErB
        aV4ZgCZUwLn4qziUUr3+PMpW/EsLyKNTMFEwHQYDVR0OBBYEFJ92Iq/2DIM3vTT8
        TbO+Q+q9FiDYMB8GA1UdIwQYMBaAFJ92Iq/2DIM3vTT8TbO+Q+q9FiDYMA8GA1Ud
        EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAJtFkKwh+qUWG8kc0F4WsK6F
        J/C3/G+emVJYW1yD2BTxAiAoptpjluuIaj/RcwZEDFl/Gq7hBm/QKU+SW74Y69/b
        pA==
        -----END CERTIFICATE-----
        """

}
